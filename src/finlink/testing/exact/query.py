"""Running OData query options over stored rows and building Exact's list envelope.

Page sizes (reference §4.2): 60 rows on normal endpoints, 1,000 on ``/bulk/`` and ``/sync/``;
``__next`` carries a ``$skiptoken`` (the last key, ``guid'…'`` or ``123L``) and is absent on
the last page. ``$inlinecount=allpages`` adds ``__count`` (a string, as OData v2 JSON has it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import attrs

from finlink.testing.exact.entities.base import STRUCTURED, EntitySpec, FieldSpec, Record
from finlink.testing.exact.odata import (
    Call,
    Compare,
    Field,
    Literal,
    Logical,
    Node,
    Not,
    ODataError,
    compare_values,
    evaluate,
    field_names,
    parse_filter,
    parse_orderby,
    parse_select,
)
from finlink.testing.exact.wire import exact_error

__all__ = ["Page", "QueryPlan", "run_query", "select_option"]

NORMAL_PAGE = 60
LARGE_PAGE = 1000
SELECT_OR_TOP = "Please add a $select or a $top=1 statement to the query string."


@attrs.frozen(kw_only=True)
class QueryPlan:
    """What the endpoint demands of a list query.

    Attributes:
        spec: The entity.
        fields: The properties the endpoint accepts (default: the entity's).
        page_size: Rows per page.
        order_key: The key rows are ordered and skip-tokened by.
        extra_fields: Fields the endpoint adds to the entity (``Timestamp`` on sync).
        require_select: Whether ``$select`` (or ``$top=1``) is mandatory (bulk, §4.2).
        filter_only: When set, the only fields ``$filter`` may use (sync: ``Timestamp``).
        mandatory_filter: Fields one of which ``$filter`` must use (§4.4).
    """

    spec: EntitySpec
    fields: tuple[FieldSpec, ...] = attrs.field(
        default=attrs.Factory(lambda self: self.spec.fields, takes_self=True)
    )
    page_size: int = NORMAL_PAGE
    order_key: str
    extra_fields: tuple[str, ...] = ()

    def known(self) -> dict[str, FieldSpec]:
        """The properties a query may name, by name."""
        known = {field.name: field for field in self.fields}
        for name in self.extra_fields:
            known.setdefault(name, FieldSpec(name=name, kind="int64", writable=False))
        return known

    require_select: bool = False
    filter_only: frozenset[str] | None = None
    mandatory_filter: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Page:
    """One page of results: rows (stored values), the next link and the inline count."""

    rows: list[Record]
    select: list[str] | None
    next_url: str | None
    count: int | None


def select_option(
    query: Mapping[str, str], fields: Mapping[str, FieldSpec], type_name: str
) -> list[str] | None:
    """``$select`` of a single-row answer (``current/Me``, a GET by key), checked.

    Raises:
        HttpError: 400 for a syntax error or a property the endpoint does not have.
    """
    if "$select" not in query:
        return None
    try:
        select = parse_select(query["$select"])
    except ODataError as exc:
        raise exact_error(400, str(exc)) from exc
    for name in select:
        if name not in fields:
            raise exact_error(400, f"No property '{name}' exists in type '{type_name}'.")
    return select


def _no_property(name: str, spec: EntitySpec) -> ODataError:
    return ODataError(f"No property '{name}' exists in type '{spec.type_name}'.")


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, uuid.UUID):
        return (1, str(value))
    return (1, value)


def _parse_int(query: Mapping[str, str], name: str) -> int | None:
    text = query.get(name)
    if text is None:
        return None
    if not text.strip().isdigit():
        raise ODataError(f"Invalid value for {name}: '{text}'.")
    return int(text)


#: Literal types (Python) each field kind may be compared with; ``None`` (null) always.
_COMPATIBLE: dict[str, tuple[type, ...]] = {
    "string": (str,),
    # A quoted GUID compares with a guid field, as finlink's own lookups have always sent.
    "guid": (uuid.UUID, str),
    "datetime": (datetime,),
    "int": (int, Decimal),
    "int64": (int, Decimal),
    "double": (int, Decimal),
    "bool": (bool,),
    "binary": (),
}
_CLR = {
    "string": "System.String",
    "guid": "System.Guid",
    "datetime": "System.DateTime",
    "int": "System.Int32",
    "int64": "System.Int64",
    "double": "System.Double",
    "bool": "System.Boolean",
    "binary": "System.Byte[]",
}


def _literal_type(value: Any) -> str:
    for kind, clr in (
        (bool, "System.Boolean"),
        (str, "System.String"),
        (uuid.UUID, "System.Guid"),
        (datetime, "System.DateTime"),
    ):
        if isinstance(value, kind):
            return clr
    return "System.Decimal" if isinstance(value, Decimal) else "System.Int32"


def _check_types(node: Node, known: Mapping[str, FieldSpec]) -> None:
    """Refuse a comparison of a property with a literal of another type, as WCF does.

    Raises:
        ODataError: For a structured property in ``$filter`` or a mismatched literal.
    """
    if isinstance(node, Compare):
        for field, other in ((node.left, node.right), (node.right, node.left)):
            if not isinstance(field, Field) or not isinstance(other, Literal):
                continue
            spec = known[field.name]
            value = other.value
            if value is None or spec.kind in STRUCTURED:
                continue
            allowed = _COMPATIBLE[spec.kind]
            if isinstance(value, bool) and bool not in allowed:
                allowed = ()  # bool is an int to Python, not to OData
            if not isinstance(value, allowed):
                raise ODataError(
                    f"Operator '{node.op}' incompatible with operand types "
                    f"'{_CLR[spec.kind]}' and '{_literal_type(value)}'."
                )
    children: tuple[Node, ...] = ()
    if isinstance(node, Compare | Logical):
        children = (node.left, node.right)
    elif isinstance(node, Not):
        children = (node.operand,)
    elif isinstance(node, Call):
        children = node.args
    for child in children:
        _check_types(child, known)


def _primitive(name: str, known: Mapping[str, FieldSpec], option: str) -> None:
    if known[name].kind in STRUCTURED:
        raise ODataError(
            f"The property '{name}' is not a primitive property and cannot be used in {option}."
        )


def _validate_options(
    plan: QueryPlan, query: Mapping[str, str]
) -> tuple[Node | None, list[str] | None]:
    known = plan.known()
    select = parse_select(query["$select"]) if "$select" in query else None
    for name in select or ():
        if name not in known:
            raise _no_property(name, plan.spec)
    top = _parse_int(query, "$top")
    if plan.require_select and select is None and top != 1:
        raise ODataError(SELECT_OR_TOP)
    node = parse_filter(query["$filter"]) if query.get("$filter", "").strip() else None
    used = field_names(node) if node is not None else set()
    for name in sorted(used):
        if name not in known:
            raise _no_property(name, plan.spec)
        _primitive(name, known, "$filter")
    if node is not None:
        _check_types(node, known)
    if plan.filter_only is not None and used - plan.filter_only:
        # "only the timestamp field is allowed as parameter" (§4.7); wording as picqer#500
        raise ODataError(
            "Filtering on these fields is not supported: "
            + ",".join(sorted(used - plan.filter_only))
        )
    if plan.mandatory_filter and not used & set(plan.mandatory_filter):
        raise ODataError(
            "This endpoint has mandatory filtering applied. A GET request for this endpoint "
            "must have a $filter parameter with one of the following fields in the url:"
            + ",".join(plan.mandatory_filter)
            + "."
        )
    return node, select


def _by_field(name: str) -> Callable[[Record], tuple[int, Any]]:
    def key(row: Record) -> tuple[int, Any]:
        return _sort_value(row.get(name))

    return key


def run_query(plan: QueryPlan, rows: list[Record], query: Mapping[str, str], url: str) -> Page:
    """Filter, order and page ``rows`` as the query options say.

    Args:
        plan: The endpoint's rules.
        rows: Every row of the entity (stored values).
        query: The request's query options.
        url: The request URL without query string (for ``__next``).

    Raises:
        HttpError: 400 with Exact's error body for a query Exact refuses.
    """
    try:
        return _run(plan, rows, query, url)
    except ODataError as exc:
        raise exact_error(400, str(exc)) from exc


def _candidates(node: Node, rows: list[Record]) -> list[Record] | None:
    """A cheap superset of the rows ``node`` matches, or None when it cannot be narrowed.

    ``Field eq literal`` terms are checked directly (and their ``and``/``or`` combinations):
    finding an account by its search code or identifiers, or an entry by ``YourRef``, is how
    every retry and every match probes, and walking the expression tree for every stored row
    would make the sandbox slow where Exact is not.
    """
    if isinstance(node, Compare) and node.op == "eq":
        field, literal = node.left, node.right
        if isinstance(literal, Field):
            field, literal = literal, field
        if isinstance(field, Field) and isinstance(literal, Literal):
            name, value = field.name, literal.value
            return [row for row in rows if compare_values("eq", row.get(name), value)]
        return None
    if isinstance(node, Logical) and node.op == "and":
        left = _candidates(node.left, rows)
        return left if left is not None else _candidates(node.right, rows)
    if isinstance(node, Logical) and node.op == "or":
        left = _candidates(node.left, rows)
        right = _candidates(node.right, rows) if left is not None else None
        if left is None or right is None:
            return None
        seen = {id(row) for row in left}
        return left + [row for row in right if id(row) not in seen]
    return None


def _narrowed(node: Node, rows: list[Record]) -> list[Record]:
    """The rows worth evaluating ``node`` on (see :func:`_candidates`)."""
    found = _candidates(node, rows)
    return rows if found is None else found


def _run(plan: QueryPlan, rows: list[Record], query: Mapping[str, str], url: str) -> Page:
    node, select = _validate_options(plan, query)
    if node is not None:
        rows = [row for row in _narrowed(node, rows) if evaluate(node, row) is True]
    count = len(rows) if query.get("$inlinecount") == "allpages" else None
    order = parse_orderby(query["$orderby"]) if query.get("$orderby") else []
    known = plan.known()
    for term in order:
        if term.field not in known:
            raise _no_property(term.field, plan.spec)
        _primitive(term.field, known, "$orderby")
    rows = sorted(rows, key=lambda row: _sort_value(row.get(plan.order_key)))
    for term in reversed(order):  # stable sorts, last term first
        rows = sorted(rows, key=_by_field(term.field), reverse=term.descending)
    token = query.get("$skiptoken")
    if token is not None and not order:
        literal = parse_filter(token)
        if not isinstance(literal, Literal):
            raise ODataError("Invalid $skiptoken.")
        after = _sort_value(literal.value)
        rows = [row for row in rows if _sort_value(row.get(plan.order_key)) > after]
    skip = _parse_int(query, "$skip") or 0
    top = _parse_int(query, "$top")
    rows = rows[skip:]
    if top is not None:
        rows = rows[:top]
    page, rest = rows[: plan.page_size], rows[plan.page_size :]
    next_url = None
    if rest:
        params = {k: v for k, v in query.items() if k not in ("$skip", "$skiptoken", "$top")}
        if top is not None:
            params["$top"] = str(top - len(page))
        if order:
            params["$skip"] = str(skip + len(page))
        else:
            params["$skiptoken"] = EntitySpec.key_literal(page[-1][plan.order_key])
        next_url = (
            url
            + "?"
            + "&".join(
                f"{name}={quote(value, safe=chr(39) + '(),:')}" for name, value in params.items()
            )
        )
    return Page(rows=page, select=select, next_url=next_url, count=count)
