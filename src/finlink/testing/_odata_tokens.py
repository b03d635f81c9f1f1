"""The one OData ``$filter`` tokenizer both sandboxes use, with a dialect per vendor.

Exact Online speaks OData v2 (reference ``exact-online.md`` §4.3) and SnelStart OData v3
(``snelstart.md`` §2.2). Their ``$filter`` lexemes are almost the same - quoted strings with
``''`` as an escaped quote, numbers with an optional type suffix, ``keyword'…'`` typed
literals, names and a few punctuation marks - so one scanner serves both; a :class:`Dialect`
holds what differs:

* punctuation: v3 lambdas need ``:`` and member paths ``/`` as separate tokens, while Exact
  keeps ``/`` inside a name (``Account/Name``);
* the typed-literal keywords (v3 adds ``datetimeoffset`` and ``time``);
* number syntax (v3 allows an exponent and the ``F`` suffix);
* the error type and wording each sandbox reports.

The scanner returns raw lexemes (:class:`Token`); each sandbox's parser turns them into its
own literal values and tree.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

__all__ = ["EXACT_V2", "SNELSTART_V3", "Dialect", "Token", "tokenize"]


@attrs.frozen(kw_only=True)
class Dialect:
    """What differs between two vendors' ``$filter`` lexemes.

    Attributes:
        name: For messages and ``repr``.
        punctuation: Characters that are tokens of their own.
        name_chars: Characters besides letters and digits allowed inside a name.
        typed_prefixes: Keywords that, directly followed by a quote, start a typed literal.
        exponent: Whether numbers may carry an exponent (``1e3``, ``2.5E-2``).
        number_suffixes: Type suffix letters a number may end with (``L``, ``M``...).
        error: Makes the exception to raise from a message.
        unexpected: Message for a character the dialect does not know
            (``{char}`` and ``{pos}`` are filled in).
        unterminated: Message for a string without its closing quote (``{pos}``).
    """

    name: str
    punctuation: str
    name_chars: str
    typed_prefixes: frozenset[str]
    exponent: bool
    number_suffixes: str
    error: Callable[[str], Exception]
    unexpected: str
    unterminated: str


@attrs.frozen
class Token:
    """One lexeme.

    Attributes:
        kind: ``name``, ``string`` (the unescaped text), ``number`` (the raw text, suffix
            included), ``typed`` (the text between the quotes, keyword in ``prefix``) or
            ``punct``.
        text: See ``kind``.
        pos: Where the lexeme starts in the expression.
        prefix: The keyword of a typed literal (``guid``, ``datetime``...).
    """

    kind: str
    text: str
    pos: int
    prefix: str = ""


def _quoted(text: str, start: int, dialect: Dialect) -> tuple[str, int]:
    """Read ``'...'`` from ``start`` (the quote); ``''`` is an escaped quote."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        if text[i] == "'":
            if text[i + 1 : i + 2] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(text[i])
        i += 1
    raise dialect.error(dialect.unterminated.format(pos=start))


def _number_end(text: str, start: int, dialect: Dialect) -> int:
    i = start + 1
    while i < len(text):
        char = text[i]
        exponent = dialect.exponent and (
            char in "eE" or (char in "+-" and text[i - 1] in "eE")  # 1e3, 2.5E-2
        )
        if not (char.isdigit() or char == "." or exponent):
            break
        i += 1
    if i < len(text) and text[i] in dialect.number_suffixes:
        i += 1
    return i


def tokenize(text: str, dialect: Dialect) -> list[Token]:
    """Split a ``$filter`` expression into lexemes, as ``dialect`` spells them.

    Raises:
        Exception: ``dialect.error(...)`` on an unterminated string or an unknown character.
    """
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in dialect.punctuation:
            tokens.append(Token("punct", char, i))
            i += 1
        elif char == "'":
            value, end = _quoted(text, i, dialect)
            tokens.append(Token("string", value, i))
            i = end
        elif char.isdigit() or (char == "-" and text[i + 1 : i + 2].isdigit()):
            end = _number_end(text, i, dialect)
            tokens.append(Token("number", text[i:end], i))
            i = end
        elif char.isalpha() or char == "_":
            end = i
            while end < len(text) and (text[end].isalnum() or text[end] in dialect.name_chars):
                end += 1
            word = text[i:end]
            if word in dialect.typed_prefixes and text[end : end + 1] == "'":
                value, after = _quoted(text, end, dialect)
                tokens.append(Token("typed", value, i, prefix=word))
                i = after
            else:
                tokens.append(Token("name", word, i))
                i = end
        else:
            raise dialect.error(dialect.unexpected.format(char=char, pos=i))
    return tokens


def _value_error(message: str) -> Exception:
    return ValueError(message)


#: Exact Online (OData v2, WCF Data Services wording).
EXACT_V2 = Dialect(
    name="Exact Online OData v2",
    punctuation="(),",
    name_chars="_/",
    typed_prefixes=frozenset({"guid", "datetime"}),
    exponent=False,
    number_suffixes="LlMmDd",
    error=_value_error,
    unexpected="Syntax error: character '{char}' is not valid at position {pos}.",
    unterminated="Unterminated string literal at position {pos}.",
)

#: SnelStart (OData v3, ASP.NET Web API).
SNELSTART_V3 = Dialect(
    name="SnelStart OData v3",
    punctuation="(),:/",
    name_chars="_",
    typed_prefixes=frozenset({"datetime", "guid", "datetimeoffset", "time"}),
    exponent=True,
    number_suffixes="MmDdFfLl",
    error=_value_error,
    unexpected="unexpected character {char!r} at position {pos}",
    unterminated="unterminated string literal at position {pos}",
)
