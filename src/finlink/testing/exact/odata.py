"""OData v2 query options as Exact Online implements them: a real ``$filter`` parser.

The grammar (reference §4.3; OData v2 URL conventions)::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand (("eq"|"ne"|"gt"|"ge"|"lt"|"le") operand)?
    operand    := "(" expr ")" | literal | name "(" args ")" | name

Literals: ``'text'`` (``''`` escapes a quote), ``guid'…'``, ``datetime'…'``, ``123``,
``123L`` (Int64), ``1.5``/``1.5M``, ``true``/``false``/``null``. Functions: ``trim``,
``substringof(needle, haystack)``, ``startswith``, ``endswith``, ``tolower``, ``toupper``.
Parse errors become Exact's 400 error body through :class:`ODataError`. The scanner is the
one shared with the SnelStart sandbox (:mod:`finlink.testing._odata_tokens`, v2 dialect).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from finlink.testing import _odata_tokens as _tokens
from finlink.testing._odata_tokens import EXACT_V2

__all__ = [
    "Call",
    "Compare",
    "Field",
    "Literal",
    "Logical",
    "Not",
    "ODataError",
    "OrderBy",
    "Token",
    "compare_values",
    "evaluate",
    "field_names",
    "parse_filter",
    "parse_orderby",
    "parse_select",
    "tokenize",
]

COMPARISONS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
FUNCTIONS: dict[str, int] = {
    "trim": 1,
    "tolower": 1,
    "toupper": 1,
    "substringof": 2,
    "startswith": 2,
    "endswith": 2,
}


class ODataError(ValueError):
    """A query option the service cannot understand (answered with HTTP 400)."""


@attrs.frozen
class Token:
    """One lexical token: ``kind`` is name, string, guid, datetime, number, int64, punct."""

    kind: str
    value: Any
    pos: int


@attrs.frozen
class Literal:
    """A constant value."""

    value: Any


@attrs.frozen
class Field:
    """A property of the entity."""

    name: str


@attrs.frozen
class Call:
    """A function call such as ``trim(Code)``."""

    name: str
    args: tuple[Node, ...]


@attrs.frozen
class Compare:
    """A comparison ``left op right``."""

    op: str
    left: Node
    right: Node


@attrs.frozen
class Logical:
    """``left and right`` / ``left or right``."""

    op: str
    left: Node
    right: Node


@attrs.frozen
class Not:
    """``not operand``."""

    operand: Node


Node = Literal | Field | Call | Compare | Logical | Not


def _typed_literal(prefix: str, raw: str, pos: int) -> Token:
    try:
        if prefix == "guid":
            return Token("guid", uuid.UUID(raw), pos)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ODataError(
            f"Unrecognized '{prefix}' literal '{prefix}'{raw}'' at position {pos}."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Token("datetime", moment.astimezone(UTC), pos)


#: The scanner is shared with the SnelStart sandbox (one tokenizer, a dialect per vendor).
_DIALECT = attrs.evolve(EXACT_V2, error=ODataError)


def tokenize(text: str) -> list[Token]:
    """Split a ``$filter`` expression into typed tokens.

    Raises:
        ODataError: On an unterminated string, a character OData does not know or a
            malformed number, GUID or datetime literal.
    """
    tokens: list[Token] = []
    for lexeme in _tokens.tokenize(text, _DIALECT):
        if lexeme.kind == "number":
            tokens.append(_number(lexeme.text, lexeme.pos))
        elif lexeme.kind == "typed":
            tokens.append(_typed_literal(lexeme.prefix, lexeme.text, lexeme.pos))
        else:  # name, string, punct
            tokens.append(Token(lexeme.kind, lexeme.text, lexeme.pos))
    return tokens


def _number(raw: str, pos: int) -> Token:
    """``12``, ``-3``, ``1.5``, ``12L`` (Int64) or ``1.5M``/``1.5D`` (decimal)."""
    suffix = raw[-1] if raw[-1] in _DIALECT.number_suffixes else ""
    digits = raw[:-1] if suffix else raw
    value = _decimal(digits, pos)
    if suffix in ("L", "l"):
        if "." in digits:
            raise ODataError(f"Syntax error: '{raw}' is not a valid number at position {pos}.")
        return Token("int64", int(digits), pos)
    if suffix or "." in digits:
        return Token("number", value, pos)
    return Token("number", int(digits), pos)


def _decimal(raw: str, pos: int) -> Decimal:
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ODataError(
            f"Syntax error: '{raw}' is not a valid number at position {pos}."
        ) from None


class _Parser:
    """Recursive-descent parser over the token list."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ODataError(f"Expression expected at position {len(self.text)}.")
        self.index += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "name" and token.value in words

    def expect(self, punct: str) -> None:
        token = self.peek()
        if token is None or token.kind != "punct" or token.value != punct:
            pos = len(self.text) if token is None else token.pos
            raise ODataError(f"'{punct}' expected at position {pos}.")
        self.index += 1

    def parse(self) -> Node:
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            raise ODataError(f"Syntax error at position {token.pos}.")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.at_word("or"):
            self.take()
            node = Logical("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.at_word("and"):
            self.take()
            node = Logical("and", node, self.not_expr())
        return node

    def not_expr(self) -> Node:
        if self.at_word("not"):
            self.take()
            return Not(self.not_expr())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        token = self.peek()
        if token is not None and token.kind == "name" and token.value in COMPARISONS:
            self.take()
            return Compare(token.value, left, self.operand())
        return left

    def operand(self) -> Node:
        token = self.take()
        if token.kind == "punct":
            if token.value != "(":
                raise ODataError(f"Syntax error at position {token.pos}.")
            node = self.or_expr()
            self.expect(")")
            return node
        if token.kind != "name":
            return Literal(token.value)
        word = token.value
        if word in ("true", "false"):
            return Literal(word == "true")
        if word == "null":
            return Literal(None)
        nxt = self.peek()
        if nxt is not None and nxt.kind == "punct" and nxt.value == "(":
            return self.call(word, token.pos)
        return Field(word)

    def call(self, name: str, pos: int) -> Node:
        if name not in FUNCTIONS:
            raise ODataError(f"Unknown function '{name}' at position {pos}.")
        self.expect("(")
        args = [self.or_expr()]
        while (tok := self.peek()) is not None and tok.kind == "punct" and tok.value == ",":
            self.take()
            args.append(self.or_expr())
        self.expect(")")
        if len(args) != FUNCTIONS[name]:
            raise ODataError(f"No function signature for the function with name '{name}'.")
        return Call(name, tuple(args))


def parse_filter(text: str) -> Node:
    """Parse a ``$filter`` expression into a tree.

    Raises:
        ODataError: On any syntax error.
    """
    return _Parser(text).parse()


def field_names(node: Node) -> set[str]:
    """Every property name an expression refers to."""
    if isinstance(node, Field):
        return {node.name}
    if isinstance(node, Call):
        return set().union(*(field_names(arg) for arg in node.args))
    if isinstance(node, Compare | Logical):
        return field_names(node.left) | field_names(node.right)
    if isinstance(node, Not):
        return field_names(node.operand)
    return set()


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """Bring two values to one type so Python can compare them as OData would."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left, right
    if isinstance(left, int | float | Decimal) and isinstance(right, int | float | Decimal):
        return Decimal(str(left)), Decimal(str(right))
    if isinstance(left, uuid.UUID) and isinstance(right, str):
        return str(left), right.lower()
    if isinstance(left, str) and isinstance(right, uuid.UUID):
        return left.lower(), str(right)
    return left, right


_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: bool(a > b),
    "ge": lambda a, b: bool(a >= b),
    "lt": lambda a, b: bool(a < b),
    "le": lambda a, b: bool(a <= b),
}


def compare_values(op: str, left: Any, right: Any) -> bool:
    """Compare two values as OData's ``op`` would (``eq``, ``ne``, ``gt``...)."""
    return _compare(op, left, right)


def _compare(op: str, left: Any, right: Any) -> bool:
    left, right = _comparable(left, right)
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False  # SQL semantics: NULL is neither greater nor smaller.
    try:
        return _ORDERING[op](left, right)
    except TypeError:
        raise ODataError(f"Operator '{op}' incompatible with operand types.") from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ODataError("No function signature for the given operand types.")
    return value


def _call(name: str, args: list[Any]) -> Any:
    if name == "trim":
        return None if args[0] is None else _text(args[0]).strip()
    if name == "tolower":
        return None if args[0] is None else _text(args[0]).lower()
    if name == "toupper":
        return None if args[0] is None else _text(args[0]).upper()
    if name == "substringof":
        # OData v2 argument order: substringof(needle, haystack).
        return _text(args[0]).lower() in _text(args[1]).lower()
    if name == "startswith":
        return _text(args[0]).lower().startswith(_text(args[1]).lower())
    return _text(args[0]).lower().endswith(_text(args[1]).lower())


def evaluate(node: Node, record: Mapping[str, Any]) -> Any:
    """Evaluate an expression against one stored record (Python values).

    Raises:
        ODataError: For an operator applied to values of incompatible types.
    """
    if isinstance(node, Literal | Field):
        return node.value if isinstance(node, Literal) else record.get(node.name)
    if isinstance(node, Call):
        return _call(node.name, [evaluate(arg, record) for arg in node.args])
    if isinstance(node, Not):
        return not evaluate(node.operand, record)
    if isinstance(node, Logical):
        left = bool(evaluate(node.left, record))
        if node.op == "and":
            return left and bool(evaluate(node.right, record))
        return left or bool(evaluate(node.right, record))
    return _compare(node.op, evaluate(node.left, record), evaluate(node.right, record))


@attrs.frozen
class OrderBy:
    """One ``$orderby`` term."""

    field: str
    descending: bool = False


def parse_orderby(text: str) -> list[OrderBy]:
    """Parse ``$orderby=Name desc,Code``.

    Raises:
        ODataError: On an empty term or a direction other than asc/desc.
    """
    terms: list[OrderBy] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ODataError(f"Syntax error in $orderby at '{part.strip()}'.")
        terms.append(OrderBy(words[0], len(words) == 2 and words[1] == "desc"))
    return terms


def parse_select(text: str) -> list[str]:
    """Parse ``$select=ID,Name`` into property names (blank entries rejected).

    Raises:
        ODataError: On an empty entry.
    """
    names = [part.strip() for part in text.split(",")]
    if any(not name for name in names):
        raise ODataError("Syntax error in $select.")
    return names
