"""OData v3 query options as SnelStart's B2B API v2 implements them.

Supported: ``$filter``, ``$select``, ``$top``, ``$skip`` (and ``$orderby``).

SnelStart runs ASP.NET Web API OData **v3** (reference ``snelstart.md`` §2.2): literals are
v3-style (``datetime'…'``, ``guid'…'``), ``substringof(needle, Prop)`` instead of v4's
``contains``, property names are **case-sensitive UpperCamelCase** while the JSON bodies are
lowerCamelCase, and the keywords and functions are lower case. Anything this module cannot parse
or type-check raises :class:`ODataError`; the sandbox answers it with ``ALG-0104`` "Ongeldig
OData filter" (400).

The parser is a tokenizer plus a recursive-descent parser producing a small AST, a type-checker
that resolves property paths against an entity's field types (so ``Relatiecode eq '12'`` fails
the way a numeric-vs-string filter fails at SnelStart, per the laravel-snelstart README cited in
§2.2) and an evaluator over the sandbox's stored wire records.

The grammar lives in :mod:`finlink.testing.snelstart.odata_syntax`; its scanner is the one
shared with the Exact sandbox (:mod:`finlink.testing._odata_tokens`, v3 dialect).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias

import attrs

from finlink.testing.snelstart.odata_syntax import (
    Call,
    Compare,
    Literal,
    Logical,
    Member,
    Node,
    Not,
    ODataError,
    parse_filter,
)

__all__ = [
    "MAX_TOP",
    "FieldType",
    "Many",
    "ODataError",
    "QueryOptions",
    "apply_query",
    "parse_filter",
    "parse_query_options",
]

#: "Bij OData functionaliteit worden er maximaal 500 items teruggegeven" (P-ODATA, §2.2).
MAX_TOP = 500


@attrs.frozen
class Many:
    """A collection of ``item`` (``relatiesoort: ["Klant"]``, ``extraVeldenKlant: [...]``)."""

    item: FieldType


#: A field's type: a scalar tag (``"string"``, ``"int32"``, ``"decimal"``, ``"double"``,
#: ``"boolean"``, ``"datetime"``, ``"guid"``), a nested object, or a collection.
FieldType: TypeAlias = str | Mapping[str, "FieldType"] | Many

_NUMERIC = frozenset({"int32", "decimal", "double"})
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}

# --------------------------------------------------------------------------- type checking


_FUNCTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    # name: (argument types, result type); "string" arguments accept null.
    "substringof": (("string", "string"), "boolean"),
    "startswith": (("string", "string"), "boolean"),
    "endswith": (("string", "string"), "boolean"),
    "tolower": (("string",), "string"),
    "toupper": (("string",), "string"),
    "trim": (("string",), "string"),
    "length": (("string",), "int32"),
    "year": (("datetime",), "int32"),
    "month": (("datetime",), "int32"),
    "day": (("datetime",), "int32"),
    "hour": (("datetime",), "int32"),
    "minute": (("datetime",), "int32"),
    "second": (("datetime",), "int32"),
}


def _property_key(segment: str) -> str:
    # P-ODATA: "Property names are case-sensitive UpperCamelCase" while the JSON is
    # lowerCamelCase; a lower-case name is an unknown property, as at SnelStart.
    if not segment[:1].isupper():
        raise ODataError(f"could not find a property named {segment!r}")
    return segment[0].lower() + segment[1:]


def _resolve(member: Member, root: FieldType, scopes: Mapping[str, FieldType]) -> FieldType:
    current = scopes[member.var] if member.var is not None else root
    for segment in member.segments:
        if not isinstance(current, Mapping):
            raise ODataError(f"{segment!r} is not a property of a value")
        key = _property_key(segment)
        if key not in current:
            raise ODataError(f"could not find a property named {segment!r}")
        if key == "uri":
            # P-ODATA: filtering "does not work on Uri fields".
            raise ODataError("filtering on Uri fields is not supported")
        current = current[key]
    return current


def _compatible(left: str, right: str) -> bool:
    if "null" in (left, right):
        return True
    if left in _NUMERIC and right in _NUMERIC:
        return True
    return left == right


def _check(node: Node, root: FieldType, scopes: Mapping[str, FieldType]) -> str:  # noqa: PLR0912 - one branch per node type
    """Return the scalar type of ``node``; raise ODataError where SnelStart would."""
    if isinstance(node, Literal):
        return node.type
    if isinstance(node, Member):
        found = _resolve(node, root, scopes)
        if not isinstance(found, str):
            raise ODataError("a complex or collection property cannot be used as a value")
        return found
    if isinstance(node, Compare):
        left, right = _check(node.left, root, scopes), _check(node.right, root, scopes)
        if not _compatible(left, right):
            raise ODataError(f"cannot compare {left} with {right}")
        if node.op not in ("eq", "ne") and "boolean" in (left, right):
            raise ODataError(f"{node.op} is not defined for booleans")
        return "boolean"
    if isinstance(node, Logical | Not):
        operands = (node.operand,) if isinstance(node, Not) else (node.left, node.right)
        for operand in operands:
            if _check(operand, root, scopes) != "boolean":
                raise ODataError("and/or/not need boolean operands")
        return "boolean"
    if isinstance(node, Call):
        if node.name not in _FUNCTIONS:
            raise ODataError(f"unknown function {node.name!r}")
        wanted, result = _FUNCTIONS[node.name]
        if len(wanted) != len(node.args):
            raise ODataError(f"{node.name} takes {len(wanted)} argument(s)")
        for want, arg in zip(wanted, node.args, strict=True):
            got = _check(arg, root, scopes)
            if got not in (want, "null"):
                raise ODataError(f"{node.name} expects {want}, got {got}")
        return result
    collection = _resolve(node.collection, root, scopes)
    if not isinstance(collection, Many):
        raise ODataError(f"{node.quantifier} needs a collection property")
    if node.body is not None and node.var is not None:
        inner = {**scopes, node.var: collection.item}
        if _check(node.body, root, inner) != "boolean":
            raise ODataError("a lambda body must be boolean")
    return "boolean"


# --------------------------------------------------------------------------- evaluation


def _coerce(value: object, type_: FieldType) -> object:
    if value is None or not isinstance(type_, str):
        return value
    if type_ == "datetime" and isinstance(value, str):
        return datetime.fromisoformat(value)
    if type_ == "guid" and isinstance(value, str):
        return value.lower()
    if type_ in ("decimal", "double") and not isinstance(value, Decimal):
        return Decimal(str(value))
    return value


class _Evaluator:
    def __init__(self, root: FieldType, record: Mapping[str, Any]) -> None:
        self._root = root
        self._record = record

    def value(  # noqa: PLR0911 - one return per node type
        self, node: Node, env: Mapping[str, object], types: Mapping[str, FieldType]
    ) -> object:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Member):
            base: object = env[node.var] if node.var is not None else self._record
            type_: FieldType = types[node.var] if node.var is not None else self._root
            for segment in node.segments:
                key = segment[0].lower() + segment[1:]
                base = base.get(key) if isinstance(base, Mapping) else None
                assert isinstance(type_, Mapping)  # guaranteed by _check
                type_ = type_[key]
            return _coerce(base, type_)
        if isinstance(node, Compare):
            left = self.value(node.left, env, types)
            right = self.value(node.right, env, types)
            if left is None or right is None:
                if node.op in ("eq", "ne"):
                    return (left is right) == (node.op == "eq")
                return False
            return _COMPARISONS[node.op](left, right)
        if isinstance(node, Logical):
            left_true = self.value(node.left, env, types) is True
            if node.op == "and":
                return left_true and self.value(node.right, env, types) is True
            return left_true or self.value(node.right, env, types) is True
        if isinstance(node, Not):
            return self.value(node.operand, env, types) is not True
        if isinstance(node, Call):
            args = [self.value(arg, env, types) for arg in node.args]
            return _call(node.name, args)
        items = self.value(node.collection, env, types)
        collection_type = _member_type(node.collection, self._root, types)
        if not isinstance(items, Sequence) or isinstance(items, str):
            items = []
        if node.body is None or node.var is None:
            return len(items) > 0
        assert isinstance(collection_type, Many)
        inner_types = {**types, node.var: collection_type.item}
        results = (
            self.value(
                node.body, {**env, node.var: _coerce(item, collection_type.item)}, inner_types
            )
            is True
            for item in items
        )
        return any(results) if node.quantifier == "any" else all(results)


def _member_type(member: Member, root: FieldType, types: Mapping[str, FieldType]) -> FieldType:
    type_ = types[member.var] if member.var is not None else root
    for segment in member.segments:
        assert isinstance(type_, Mapping)
        type_ = type_[segment[0].lower() + segment[1:]]
    return type_


def _call(name: str, args: list[object]) -> object:  # noqa: PLR0911 - one return per function
    if any(arg is None for arg in args):
        return None
    if name == "substringof":
        return str(args[0]) in str(args[1])
    if name == "startswith":
        return str(args[0]).startswith(str(args[1]))
    if name == "endswith":
        return str(args[0]).endswith(str(args[1]))
    if name == "tolower":
        return str(args[0]).lower()
    if name == "toupper":
        return str(args[0]).upper()
    if name == "trim":
        return str(args[0]).strip()
    if name == "length":
        return len(str(args[0]))
    moment = args[0]
    assert isinstance(moment, datetime)
    return int(getattr(moment, name))


# --------------------------------------------------------------------------- query options


@attrs.frozen(kw_only=True)
class QueryOptions:
    """The parsed OData options of one list request."""

    filter: Node | None = None
    select: tuple[str, ...] = ()
    orderby: tuple[tuple[Member, bool], ...] = ()  # (property, descending)
    top: int = MAX_TOP
    skip: int = 0


def _int_option(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ODataError(f"{name} must be an integer") from None
    if value < minimum:
        raise ODataError(f"{name} must be at least {minimum}")
    return value


def parse_query_options(query: Mapping[str, str], fields: Mapping[str, FieldType]) -> QueryOptions:
    """Parse and type-check ``$filter``/``$select``/``$orderby``/``$top``/``$skip``.

    ``$top`` above 500 is capped silently: "the 500-item max is silent (you just get 500)"
    (reference §5 quirk 13). There is no ``nextLink`` and no count (§2.2).

    Raises:
        ODataError: On any option SnelStart would refuse (answered with ``ALG-0104``).
    """
    options: dict[str, Any] = {}
    if (text := query.get("$filter")) is not None:
        node = parse_filter(text)
        if _check(node, fields, {}) != "boolean":
            raise ODataError("$filter must be a boolean expression")
        options["filter"] = node
    if (text := query.get("$select")) is not None:
        names = tuple(part.strip() for part in text.split(",") if part.strip())
        for name in names:
            if name != "*":
                _resolve(Member((name,)), fields, {})
        options["select"] = () if "*" in names else names
    if (text := query.get("$orderby")) is not None:
        # $orderby is not documented by SnelStart (UNVERIFIED, §2.2); Web API OData v3 accepts it.
        order: list[tuple[Member, bool]] = []
        for part in text.split(","):
            words = part.split()
            if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
                raise ODataError("bad $orderby")
            member = Member(tuple(words[0].split("/")))
            if not isinstance(_resolve(member, fields, {}), str):
                raise ODataError("$orderby needs a primitive property")
            order.append((member, len(words) == 2 and words[1] == "desc"))
        options["orderby"] = tuple(order)
    if (text := query.get("$top")) is not None:
        options["top"] = min(_int_option("$top", text, 1), MAX_TOP)
    if (text := query.get("$skip")) is not None:
        options["skip"] = _int_option("$skip", text, 0)
    return QueryOptions(**options)


def apply_query(
    records: Sequence[Mapping[str, Any]],
    options: QueryOptions,
    fields: Mapping[str, FieldType],
) -> list[dict[str, Any]]:
    """Filter, order, page and project ``records`` (wire dicts, lowerCamelCase keys)."""
    selected = list(records)
    if options.filter is not None:
        node = options.filter
        selected = [r for r in selected if _Evaluator(fields, r).value(node, {}, {}) is True]
    for member, descending in reversed(options.orderby):
        # Stable sorts from the last key to the first give a multi-key order; nulls first.
        def key(record: Mapping[str, Any], member: Member = member) -> tuple[bool, Any]:
            value = _Evaluator(fields, record).value(member, {}, {})
            return (value is not None, value)

        selected.sort(key=key, reverse=descending)
    page = selected[options.skip : options.skip + options.top]
    if not options.select:
        return [dict(r) for r in page]
    keys = [_property_key(name) for name in options.select]
    return [{k: r.get(k) for k in keys} for r in page]
