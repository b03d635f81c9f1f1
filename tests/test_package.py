"""The public surface of the package: a sorted, complete ``__all__`` and the version."""

from __future__ import annotations

import importlib.metadata
import inspect

import finlink


def test_all_is_sorted() -> None:
    assert list(finlink.__all__) == sorted(finlink.__all__)


def test_all_names_every_public_attribute() -> None:
    public = {
        name
        for name, value in vars(finlink).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(finlink.__all__) - {"__version__"}


def test_every_exported_name_exists() -> None:
    for name in finlink.__all__:
        assert hasattr(finlink, name), name


def test_version_matches_installed_metadata() -> None:
    assert finlink.__version__ == importlib.metadata.version("finlink")


def test_every_exported_class_and_function_has_a_docstring() -> None:
    missing = [
        name
        for name in finlink.__all__
        if (inspect.isclass(getattr(finlink, name)) or inspect.isfunction(getattr(finlink, name)))
        and not inspect.getdoc(getattr(finlink, name))
    ]
    assert missing == []
