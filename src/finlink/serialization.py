"""Build domain records from dicts and JSON, and turn them back, with a cattrs converter.

The wire form is plain JSON: dates and datetimes as ISO 8601 strings (datetimes with their
offset), money as a decimal *string* (``"12.50"``: JSON numbers are floats in most parsers and
would lose cents), enums by value, roles as a sorted list, attachment bytes as base64, tuples as
lists. ``from_dict(to_dict(x), type(x)) == x`` for every record.

Structuring is strict: a number where text is expected, a float where money is expected, or a
missing required field raises one :class:`~finlink.ValidationError` naming every bad field path
(``contacts[1].email``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from dateutil.parser import isoparse

from finlink._errors import Problem, ValidationError
from finlink.model.enums import (
    BookingKind,
    OpenItemKind,
    PaymentStatus,
    RelationRole,
    VatCategory,
)
from finlink.model.relation import ExtraValue

__all__ = ["from_dict", "from_json", "make_converter", "to_dict", "to_json"]

T = TypeVar("T")


class _RefusedError(ValueError):
    """A scalar that cannot be read; the message says why and the rule names it."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _RefusedError("type", f"must be text, not {type(value).__name__}")
    return value


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _RefusedError("type", f"must be a whole number, not {type(value).__name__}")
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise _RefusedError("type", f"must be true or false, not {type(value).__name__}")
    return value


def _structure_decimal(value: object, _: type) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise _RefusedError(
            "decimal_required",
            'money must be written as a string ("12.50") or an integer, not a float',
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise _RefusedError("decimal_format", f"{value!r} is not a decimal amount") from None
        if not result.is_finite():
            raise _RefusedError("finite", "must be a finite amount")
        return result
    raise _RefusedError("type", f"must be a decimal string, not {type(value).__name__}")


def _structure_date(value: object, _: type) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise _RefusedError(
            "type", f"must be an ISO date string (2026-01-31), not {type(value).__name__}"
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _RefusedError("date_format", f"{value!r} is not an ISO date (2026-01-31)") from None


def _structure_datetime(value: object, _: type) -> datetime:
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, str):
        try:
            result = isoparse(value)
        except ValueError:
            raise _RefusedError(
                "datetime_format", f"{value!r} is not an ISO datetime (2026-01-31T09:30:00+01:00)"
            ) from None
    else:
        raise _RefusedError("type", f"must be an ISO datetime string, not {type(value).__name__}")
    if result.tzinfo is None or result.utcoffset() is None:
        raise _RefusedError(
            "timezone_required",
            "must carry a UTC offset (…+01:00 or …Z); a naive datetime is ambiguous",
        )
    return result


def _structure_bytes(value: object, _: type) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise _RefusedError("type", "must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _RefusedError("base64", "is not valid base64") from None


def _structure_roles(value: object, _: type) -> frozenset[RelationRole]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise _RefusedError("type", 'must be a list of roles, e.g. ["customer", "supplier"]')
    roles: set[RelationRole] = set()
    for item in value:
        try:
            roles.add(RelationRole(item))
        except ValueError:
            raise _RefusedError(
                "enum", f"{item!r} is not a role; use customer or supplier"
            ) from None
    return frozenset(roles)


def _structure_extra(value: object, _: object) -> ExtraValue:
    if value is None or isinstance(value, str | int | bool):
        return value
    raise _RefusedError("type", "must be text, a whole number, true/false or null")


def _structure_enum(value: object, cls: type[StrEnum]) -> StrEnum:
    if isinstance(value, cls):
        return value
    try:
        return cls(value)  # type: ignore[arg-type]  # any value: the lookup itself refuses
    except ValueError:
        allowed = ", ".join(member.value for member in cls)
        raise _RefusedError("enum", f"{value!r} is not one of: {allowed}") from None


def _is_roles(tp: object) -> bool:
    return tp == frozenset[RelationRole]


def make_converter() -> cattrs.Converter:
    """A fresh cattrs converter for the finlink domain model.

    Hosts that add their own hooks should start from this one rather than change the shared
    converter behind :func:`to_dict` / :func:`from_dict`.
    """
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(date, _structure_date)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_structure_hook(bytes, _structure_bytes)
    conv.register_unstructure_hook(bytes, lambda b: base64.b64encode(b).decode("ascii"))
    # Generic aliases are not classes, so these two dispatch on a predicate.
    conv.register_structure_hook_func(_is_roles, _structure_roles)
    conv.register_unstructure_hook_func(
        _is_roles, lambda roles: sorted(role.value for role in roles)
    )
    conv.register_structure_hook_func(lambda tp: tp == ExtraValue, _structure_extra)
    # The enums are StrEnums: without their own hooks the str hook above would take them.
    for enum_cls in (BookingKind, OpenItemKind, PaymentStatus, RelationRole, VatCategory):
        conv.register_structure_hook(enum_cls, _structure_enum)
        conv.register_unstructure_hook(enum_cls, lambda member: member.value)
    return conv


_CONVERTER = make_converter()


def to_dict(record: object) -> dict[str, Any]:
    """Turn a domain record into a JSON-ready dict."""
    result = _CONVERTER.unstructure(record)
    if not isinstance(result, dict):
        raise TypeError(f"{type(record).__name__} is not a finlink record")
    return result


def from_dict(data: Mapping[str, Any], cls: type[T]) -> T:
    """Build a ``cls`` record from a dict.

    Raises:
        ValidationError: Every field that is missing, of the wrong type or unreadable, each
            with its path; also the construction checks (e.g. a datetime without offset).
    """
    try:
        return _CONVERTER.structure(data, cls)
    except BaseValidationError as exc:
        raise ValidationError(_problems(exc, ""), subject=cls.__name__) from exc
    except ValidationError as exc:
        raise ValidationError(exc.problems, subject=cls.__name__) from exc


def to_json(record: object, *, indent: int | None = None) -> str:
    """Serialise a record to a JSON string."""
    return json.dumps(to_dict(record), indent=indent, ensure_ascii=False)


def from_json(text: str | bytes, cls: type[T]) -> T:
    """Build a ``cls`` record from JSON text; numbers with a fraction are read as Decimal.

    Raises:
        ValidationError: The JSON does not parse, or the record is invalid (see :func:`from_dict`).
    """
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        problem = Problem(path="", rule="json", message=f"is not valid JSON: {exc}")
        raise ValidationError([problem], subject=cls.__name__) from exc
    if not isinstance(data, dict):
        problem = Problem(path="", rule="type", message="must be a JSON object")
        raise ValidationError([problem], subject=cls.__name__)
    return from_dict(data, cls)


def _join(path: str, part: object) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else str(part)


def _problems(exc: BaseException, path: str) -> list[Problem]:  # noqa: PLR0911 - one return per kind
    """Flatten cattrs' nested exception groups into problems with field paths."""
    if isinstance(exc, ClassValidationError | IterableValidationError):
        found: list[Problem] = []
        with_notes, without = exc.group_exceptions()
        for inner, note in with_notes:
            if isinstance(note, AttributeValidationNote):
                found.extend(_problems(inner, _join(path, note.name)))
            elif isinstance(note, IterableValidationNote):
                # Mapping values carry their key as the index, sequences their position.
                found.extend(_problems(inner, _join(path, note.index)))
            else:  # pragma: no cover - cattrs only attaches the two note kinds above
                found.extend(_problems(inner, path))
        for inner in without:
            found.extend(_problems(inner, path))
        return found
    if isinstance(exc, ForbiddenExtraKeysError):
        return [
            Problem(path=_join(path, key), rule="unknown_field", message="is not a known field")
            for key in sorted(exc.extra_fields)
        ]
    if isinstance(exc, KeyError):
        return [Problem(path=path, rule="required", message="is required")]
    if isinstance(exc, ValidationError):
        return list(exc.prefixed(path).problems)
    if isinstance(exc, _RefusedError):
        return [Problem(path=path, rule=exc.rule, message=str(exc))]
    if isinstance(exc, ValueError):
        # Enum lookups raise ValueError("'x' is not a valid BookingKind").
        return [Problem(path=path, rule="enum", message=str(exc))]
    return [Problem(path=path, rule="type", message=str(exc) or type(exc).__name__)]
