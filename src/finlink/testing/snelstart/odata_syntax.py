"""OData v3 ``$filter`` syntax: a tokenizer and a recursive-descent parser producing a small AST.

Grammar (lowest precedence first)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | comparison
    comparison := primary (("eq"|"ne"|"gt"|"ge"|"lt"|"le") primary)?
    primary    := "(" expr ")" | literal | call | member
    member     := NAME ("/" NAME)* ("/" ("any"|"all") "(" [NAME ":" expr] ")")?
    call       := NAME "(" [expr ("," expr)*] ")"

Literals are v3-style (reference ``snelstart.md`` §2.2): ``'text'`` (``''`` escapes a quote),
integers, decimals, ``datetime'2017-07-16T23:59:59.999'``, ``guid'…'``, ``true``, ``false``,
``null``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TypeAlias
from uuid import UUID

import attrs

from finlink.testing._odata_tokens import SNELSTART_V3, Token, tokenize

__all__ = [
    "COMPARISON_OPERATORS",
    "Call",
    "Compare",
    "Lambda",
    "Literal",
    "Logical",
    "Member",
    "Node",
    "Not",
    "ODataError",
    "parse_filter",
]

#: The comparison keywords of OData v3.
COMPARISON_OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})


class ODataError(ValueError):
    """A query option the server cannot parse or apply (answered with ``ALG-0104``)."""


# The scanner is shared with the Exact sandbox (one tokenizer, a dialect per vendor).
_DIALECT = attrs.evolve(SNELSTART_V3, error=ODataError)


def _tokenize(text: str) -> list[Token]:
    return [*tokenize(text, _DIALECT), Token("end", "", len(text))]


# --------------------------------------------------------------------------- AST


@attrs.frozen
class Literal:
    """A constant: its Python value and its type tag (``"null"`` for null)."""

    value: object
    type: str


@attrs.frozen
class Member:
    """A property path (UpperCamelCase segments), optionally rooted at a lambda variable."""

    segments: tuple[str, ...]
    var: str | None = None


@attrs.frozen
class Compare:
    """``left op right`` with ``op`` one of eq/ne/gt/ge/lt/le."""

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


@attrs.frozen
class Call:
    """A function call such as ``substringof('x', Naam)``."""

    name: str
    args: tuple[Node, ...]


@attrs.frozen
class Lambda:
    """``Collection/any(v: body)`` or ``/all(...)``; ``any()`` without a body tests non-empty."""

    quantifier: str
    collection: Member
    var: str | None
    body: Node | None


Node: TypeAlias = Literal | Member | Compare | Logical | Not | Call | Lambda


class _Parser:
    def __init__(self, text: str) -> None:
        self._tokens = _tokenize(text)
        self._i = 0
        self._vars: list[str] = []

    def parse(self) -> Node:
        node = self._or()
        if self._peek().kind != "end":
            self._fail("unexpected trailing input")
        return node

    def _peek(self) -> Token:
        return self._tokens[self._i]

    def _next(self) -> Token:
        tok = self._tokens[self._i]
        self._i += 1
        return tok

    def _fail(self, message: str) -> None:
        tok = self._peek()
        raise ODataError(f"{message} at position {tok.pos}")

    def _is_word(self, word: str) -> bool:
        tok = self._peek()
        return tok.kind == "name" and tok.text == word

    def _expect(self, punct: str) -> None:
        tok = self._next()
        if tok.kind != "punct" or tok.text != punct:
            self._i -= 1
            self._fail(f"expected {punct!r}")

    def _or(self) -> Node:
        node = self._and()
        while self._is_word("or"):
            self._next()
            node = Logical("or", node, self._and())
        return node

    def _and(self) -> Node:
        node = self._unary()
        while self._is_word("and"):
            self._next()
            node = Logical("and", node, self._unary())
        return node

    def _unary(self) -> Node:
        if self._is_word("not"):
            self._next()
            return Not(self._unary())
        return self._comparison()

    def _comparison(self) -> Node:
        left = self._primary()
        tok = self._peek()
        if tok.kind == "name" and tok.text in COMPARISON_OPERATORS:
            self._next()
            return Compare(tok.text, left, self._primary())
        return left

    def _primary(self) -> Node:  # noqa: PLR0911 - one return per kind of primary
        tok = self._next()
        if tok.kind == "punct" and tok.text == "(":
            node = self._or()
            self._expect(")")
            return node
        if tok.kind == "string":
            return Literal(tok.text, "string")
        if tok.kind == "number":
            return _number(tok.text)
        if tok.kind == "typed":
            return _typed(tok.prefix, tok.text)
        if tok.kind == "name":
            if tok.text in ("true", "false"):
                return Literal(tok.text == "true", "boolean")
            if tok.text == "null":
                return Literal(None, "null")
            nxt = self._peek()
            if nxt.kind == "punct" and nxt.text == "(":
                return self._call(tok.text)
            return self._member(tok.text)
        self._i -= 1
        self._fail("expected a value")
        raise AssertionError("unreachable")  # pragma: no cover

    def _call(self, name: str) -> Node:
        self._expect("(")
        args: list[Node] = []
        if not (self._peek().kind == "punct" and self._peek().text == ")"):
            args.append(self._or())
            while self._peek().kind == "punct" and self._peek().text == ",":
                self._next()
                args.append(self._or())
        self._expect(")")
        return Call(name, tuple(args))

    def _member(self, first: str) -> Node:
        var = first if first in self._vars else None
        segments: list[str] = [] if var else [first]
        while self._peek().kind == "punct" and self._peek().text == "/":
            self._next()
            tok = self._next()
            if tok.kind != "name":
                self._i -= 1
                self._fail("expected a property name after '/'")
            if tok.text in ("any", "all"):
                return self._lambda(tok.text, Member(tuple(segments), var))
            segments.append(tok.text)
        return Member(tuple(segments), var)

    def _lambda(self, quantifier: str, collection: Member) -> Node:
        self._expect("(")
        if self._peek().kind == "punct" and self._peek().text == ")":
            self._next()
            if quantifier == "all":
                self._fail("all() needs a lambda expression")
            return Lambda(quantifier, collection, None, None)
        tok = self._next()
        if tok.kind != "name":
            self._i -= 1
            self._fail("expected a lambda variable")
        self._expect(":")
        self._vars.append(tok.text)
        body = self._or()
        self._vars.pop()
        self._expect(")")
        return Lambda(quantifier, collection, tok.text, body)


def _number(text: str) -> Literal:
    suffix = text[-1] if text[-1] in "MmDdFfLl" else ""
    digits = text[:-1] if suffix else text
    integral = not any(c in digits for c in ".eE")
    try:
        if integral and suffix in ("", "L", "l"):
            return Literal(int(digits), "int32")
        return Literal(Decimal(digits), "decimal")
    except (ValueError, InvalidOperation):
        raise ODataError(f"bad number literal {text!r}") from None


def _typed(prefix: str, text: str) -> Literal:
    try:
        if prefix == "guid":
            return Literal(str(UUID(text)), "guid")
        if prefix in ("datetime", "datetimeoffset"):
            value = datetime.fromisoformat(text.removesuffix("Z"))
            return Literal(value.replace(tzinfo=None), "datetime")
    except ValueError:
        raise ODataError(f"bad {prefix} literal {text!r}") from None
    raise ODataError(f"{prefix} literals are not supported")


def parse_filter(text: str) -> Node:
    """Parse a ``$filter`` expression into an AST (not yet checked against an entity).

    Raises:
        ODataError: On a syntax error.
    """
    return _Parser(text).parse()
