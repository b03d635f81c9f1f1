"""The public surface of finlink.http: complete, sorted, documented."""

from __future__ import annotations

import inspect

import finlink.http


def test_all_is_sorted_and_names_exist() -> None:
    names = finlink.http.__all__

    def isort_key(name: str) -> tuple[int, str]:
        # ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical.
        group = 0 if name.isupper() else 1 if name[:1].isupper() else 2
        return group, name

    assert names == sorted(names, key=isort_key)
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(finlink.http, name), name


def test_every_public_class_and_function_is_exported_and_documented() -> None:
    exported = set(finlink.http.__all__)
    for module_name in (
        "_client",
        "_filestore",
        "_paging",
        "_ratelimit",
        "_ratelimit_state",
        "_retry",
        "_secrets",
        "_tokens",
        "_translate",
    ):
        module = getattr(finlink.http, module_name)
        for name in module.__all__:
            assert name in exported, f"{module_name}.{name} is not re-exported"
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                assert inspect.getdoc(obj), f"{name} has no docstring"
