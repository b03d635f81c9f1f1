"""finlink imports only what it declares, and needs its extras only where they are used.

The rules, read from the code (the imports) and from ``pyproject.toml`` (the declared
dependencies), never from a hand-kept list of packages:

- every module of ``src/finlink`` imports only the standard library, finlink itself, or a
  distribution ``pyproject.toml`` declares (at run time or in an extra);
- at import time, a module needs only the runtime dependencies, unless it belongs to an
  extra's part of the package (the CLI to ``cli``, the pytest-based suites to ``testing``);
- no module outside those parts pulls one of them in while it is imported, so
  ``import finlink.testing`` or ``finlink demo`` never needs pytest;
- and the same, for real: every module is imported in a fresh interpreter in which every
  installed distribution outside the runtime dependencies (and their own dependencies) is
  blocked.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "finlink"

#: The parts of the package that belong to an extra: a module is in a part when its dotted
#: name is the prefix or starts with it. Everything else must import with the runtime
#: dependencies alone. (Which *distributions* an extra holds is read from pyproject.toml.)
EXTRA_PARTS: dict[str, tuple[str, ...]] = {
    "cli": ("finlink.cli",),
    "testing": (
        "finlink.testing._pytest",
        "finlink.testing._store_contract_batches",
        "finlink.testing._store_contract_pages",
        "finlink.testing._store_contract_queues",
        "finlink.testing._store_contract_records",
        "finlink.testing.contract",
        "finlink.testing.pytest_plugin",
        "finlink.testing.store_contract",
    ),
    "web": ("finlink.web",),
    "postgres": (
        "finlink.sync.store._postgres_connection",
        "finlink.sync.store._postgres_lookups",
        "finlink.sync.store._postgres_outbox",
        "finlink.sync.store._postgres_outcomes",
        "finlink.sync.store._postgres_queues",
        "finlink.sync.store._postgres_reviews",
        "finlink.sync.store._postgres_rows",
        "finlink.sync.store._postgres_schema",
        "finlink.sync.store._postgres_setup",
        "finlink.sync.store.postgres",
    ),
}


def _normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match is not None, requirement
    return _normalise(match.group(1))


def _declared() -> dict[str, set[str]]:
    """Distribution names per extra, read from pyproject.toml; the runtime ones under ``""``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {"": {_requirement_name(r) for r in project["dependencies"]}}
    for extra, requirements in project.get("optional-dependencies", {}).items():
        declared[extra] = {_requirement_name(r) for r in requirements}
    return declared


def _distributions_of(top_level: str) -> set[str]:
    """The installed distributions that provide import name ``top_level``.

    A distribution that is not installed here cannot be asked; its import name is then taken
    to be its distribution name, which holds for every dependency finlink declares.
    """
    found = importlib.metadata.packages_distributions().get(top_level)
    if found:
        return {_normalise(name) for name in found}
    return {_normalise(top_level)}


@attrs.frozen
class Import:
    """One import statement of a finlink module."""

    module: str
    """The importing module's dotted name."""
    line: int
    target: str
    """The absolute dotted name imported (``from a import b`` gives ``a.b``)."""
    at_import_time: bool
    """Whether the statement runs when the module is imported (not in a function or under
    ``TYPE_CHECKING``)."""

    @property
    def top_level(self) -> str:
        """The first component of the target: what decides where it comes from."""
        return self.target.split(".")[0]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.imports: list[Import] = []
        self._deferred = 0  # depth inside functions and TYPE_CHECKING blocks

    def _add(self, node: ast.stmt, target: str) -> None:
        self.imports.append(Import(self.module, node.lineno, target, self._deferred == 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join([*base, node.module] if node.module else base)
        else:
            assert node.module is not None
            prefix = node.module
        for alias in node.names:
            # `from a import b` may import the submodule a.b; which one is sorted out later.
            self._add(node, f"{prefix}.{alias.name}" if alias.name != "*" else prefix)

    def _defer(self, node: ast.AST) -> None:
        self._deferred += 1
        self.generic_visit(node)
        self._deferred -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._defer(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._defer(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._defer(node)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self._deferred += 1
            for statement in node.body:
                self.visit(statement)
            self._deferred -= 1
            for statement in node.orelse:
                self.visit(statement)
        else:
            self.generic_visit(node)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports() -> Iterator[Import]:
    for name, path in _modules().items():
        collector = _Collector(name, path.name == "__init__.py")
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        yield from collector.imports


def _part_of(module: str) -> str:
    """The extra whose part of the package holds ``module``, or ``""`` for the core."""
    for extra, prefixes in EXTRA_PARTS.items():
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return extra
    return ""


def _where(imp: Import) -> str:
    return f"{imp.module} (line {imp.line}) imports {imp.target}"


def test_every_import_is_the_standard_library_finlink_or_declared() -> None:
    declared = set().union(*_declared().values())
    undeclared = [
        _where(imp)
        for imp in _imports()
        if imp.top_level != "finlink"
        and imp.top_level not in sys.stdlib_module_names
        and not (_distributions_of(imp.top_level) & declared)
    ]
    assert undeclared == [], "not the standard library and not declared in pyproject.toml"


def test_import_time_needs_only_the_runtime_dependencies_or_the_parts_extra() -> None:
    declared = _declared()
    offenders = []
    for imp in _imports():
        if not imp.at_import_time or imp.top_level == "finlink":
            continue
        if imp.top_level in sys.stdlib_module_names:
            continue
        extra = _part_of(imp.module)
        allowed = declared[""] | (declared[extra] if extra else set())
        if not _distributions_of(imp.top_level) & allowed:
            offenders.append(f"{_where(imp)} (allowed: {sorted(allowed)})")
    assert offenders == []


def test_every_extra_part_names_a_declared_extra_and_existing_modules() -> None:
    # A stale entry would let the rules above pass while checking nothing.
    modules = _modules()
    for extra, prefixes in EXTRA_PARTS.items():
        assert extra in _declared(), extra
        for prefix in prefixes:
            assert prefix in modules, prefix


def _finlink_module_imported(target: str, modules: dict[str, Path]) -> str | None:
    """The finlink module that importing ``target`` runs (``a.b`` or, failing that, ``a``)."""
    if target in modules:
        return target
    parent = target.rpartition(".")[0]
    return parent if parent in modules else None


def _import_time_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name in modules:  # importing a.b.c runs a/__init__ and a.b/__init__ first
        parts = name.split(".")
        graph[name].update(".".join(parts[:i]) for i in range(1, len(parts)))
    for imp in _imports():
        if imp.at_import_time and imp.top_level == "finlink":
            found = _finlink_module_imported(imp.target, modules)
            if found is not None and found != imp.module:
                graph[imp.module].add(found)
    return graph


def test_no_core_module_pulls_in_an_extras_part_when_imported() -> None:
    graph = _import_time_graph()
    offenders = []
    for start in graph:
        if _part_of(start):
            continue
        seen, todo, via = {start}, [start], {start: start}
        while todo:
            current = todo.pop()
            for nxt in graph[current]:
                if nxt not in seen:
                    seen.add(nxt)
                    via[nxt] = current
                    todo.append(nxt)
        for reached in sorted(seen):
            if _part_of(reached):
                chain = [reached]
                while chain[-1] != start:
                    chain.append(via[chain[-1]])
                offenders.append(" → ".join(reversed(chain)))
                break
    assert offenders == [], "a core module needs an extra at import time"


def _runtime_closure(roots: set[str]) -> set[str]:
    """``roots`` and every installed distribution they need, transitively (extras aside)."""
    closure: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        try:
            requirements = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in requirements:
            if "extra ==" in requirement.replace("extra==", "extra =="):
                continue
            todo.append(_requirement_name(requirement))
    return closure


def _blocked_import_names(allowed_extras: tuple[str, ...]) -> list[str]:
    """Every installed top-level import name that the allowed distributions do not provide."""
    declared = _declared()
    allowed = _runtime_closure(declared[""].union(*(declared[e] for e in allowed_extras)))
    allowed.add("finlink")
    blocked = {
        top
        for top, dists in importlib.metadata.packages_distributions().items()
        if top not in sys.stdlib_module_names and not {_normalise(d) for d in dists} & allowed
    }
    return sorted(blocked)


# Run in a fresh interpreter: a finder in front of sys.meta_path refuses the blocked names,
# as if those distributions were not installed, then every module is imported.
_IMPORT_ALL = """
import importlib, importlib.abc, json, sys, traceback
blocked, modules = json.loads(sys.argv[1]), json.loads(sys.argv[2])

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
        return None

sys.meta_path.insert(0, Block())
failed = {}
for module in modules:
    try:
        importlib.import_module(module)
    except Exception as exc:
        failed[module] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failed))
"""


def _import_with_only(allowed_extras: tuple[str, ...], modules: list[str]) -> dict[str, str]:
    blocked = _blocked_import_names(allowed_extras)
    assert "pytest" in blocked or "testing" in allowed_extras  # the test would be vacuous
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, json.dumps(blocked), json.dumps(modules)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    failed: dict[str, str] = json.loads(result.stdout.splitlines()[-1])
    return failed


@pytest.mark.slow
def test_every_core_module_imports_with_the_runtime_dependencies_alone() -> None:
    core = [name for name in _modules() if not _part_of(name) and not name.endswith("__main__")]
    assert "finlink.testing.datasets" in core
    assert "finlink.demo" in core
    assert _import_with_only((), core) == {}


@pytest.mark.slow
def test_the_cli_imports_with_the_cli_extra_alone() -> None:
    # __main__ runs the command when imported; `finlink --help` in the wheel session runs it.
    cli = [n for n in _modules() if _part_of(n) == "cli" and not n.endswith("__main__")]
    assert _import_with_only(("cli",), cli) == {}


@pytest.mark.slow
def test_the_suites_without_pytest_say_which_extra_to_install() -> None:
    failed = _import_with_only((), ["finlink.testing.contract", "finlink.testing.store_contract"])
    assert set(failed) == {"finlink.testing.contract", "finlink.testing.store_contract"}
    for message in failed.values():
        assert "ModuleNotFoundError" in message
        assert "pip install 'finlink[testing]'" in message


def test_the_suites_are_still_importable_from_finlink_testing() -> None:
    import finlink.testing
    from finlink.testing.contract import BackendContract
    from finlink.testing.store_contract import StateStoreContract

    assert finlink.testing.BackendContract is BackendContract
    assert finlink.testing.StateStoreContract is StateStoreContract
    assert {"BackendContract", "StateStoreContract"} <= set(dir(finlink.testing))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = finlink.testing.Nope
