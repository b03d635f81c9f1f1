"""Find every validation rule name src/finlink emits, by reading the source (not a hand list).

A rule name reaches a :class:`~finlink.Problem` in one of four ways, all found here:

- ``Problem(..., rule="max_length")`` directly;
- through a helper in the same module (or imported into it) whose ``rule`` parameter goes
  into a ``Problem`` or is kept as ``self.rule``: ``self.add(path, "required", ...)``;
- as the first item of a :data:`~finlink.model.identifiers.RuleBreach` a checker returns;
- either branch of a conditional expression in those places.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "finlink"


def _forwards_rule(function: ast.FunctionDef) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if (
                    keyword.arg == "rule"
                    and isinstance(keyword.value, ast.Name)
                    and keyword.value.id == "rule"
                ):
                    return True
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id == "rule"
            and any(isinstance(t, ast.Attribute) and t.attr == "rule" for t in node.targets)
        ):
            return True
    return False


def _rule_index(function: ast.FunctionDef) -> int | None:
    names = [a.arg for a in function.args.posonlyargs + function.args.args]
    if "rule" not in names:
        return None
    index = names.index("rule")
    return index - 1 if names and names[0] in ("self", "cls") else index


def _forwarders(tree: ast.Module) -> dict[str, int | None]:
    """Name → position of its ``rule`` argument, for the module's rule-forwarding helpers."""
    found: dict[str, int | None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (
                    isinstance(item, ast.FunctionDef)
                    and item.name == "__init__"
                    and _forwards_rule(item)
                ):
                    found[node.name] = _rule_index(item)
        if isinstance(node, ast.FunctionDef) and node.name != "__init__" and _forwards_rule(node):
            found[node.name] = _rule_index(node)
    return found


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _in_call(node: ast.Call, local: dict[str, int | None]) -> list[str]:
    """The rule names a call passes: ``rule=`` of Problem or a helper, or its position."""
    name = _call_name(node.func)
    if name != "Problem" and name not in local:
        return []
    found = [s for k in node.keywords if k.arg == "rule" for s in _strings(k.value)]
    index = local.get(name) if name is not None else None
    if index is not None and index < len(node.args):
        found += _strings(node.args[index])
    return found


def _in_breaches(node: ast.FunctionDef) -> list[str]:
    """The rule names a checker returning a ``RuleBreach`` gives (its tuples' first items)."""
    if node.returns is None or "RuleBreach" not in ast.unparse(node.returns):
        return []
    return [
        s
        for inner in ast.walk(node)
        if isinstance(inner, ast.Return) and isinstance(inner.value, ast.Tuple) and inner.value.elts
        for s in _strings(inner.value.elts[0])
    ]


def emitted_rules(source: Path = SOURCE) -> dict[str, set[str]]:
    """Rule name → the ``file:line`` places that emit it."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in source.rglob("*.py")}
    everywhere = {path: _forwarders(tree) for path, tree in trees.items()}
    by_name: dict[str, int | None] = {}
    for found in everywhere.values():
        by_name.update(found)
    rules: dict[str, set[str]] = {}
    for path, tree in trees.items():
        local = dict(everywhere[path])
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                local.update(
                    {(a.asname or a.name): by_name[a.name] for a in node.names if a.name in by_name}
                )
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                names, line = _in_call(node, local), node.lineno
            elif isinstance(node, ast.FunctionDef):
                names, line = _in_breaches(node), node.lineno
            else:
                continue
            for value in names:
                rules.setdefault(value, set()).add(f"{path.relative_to(source)}:{line}")
    return rules
