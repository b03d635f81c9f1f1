"""How the sandbox describes an Exact entity: its fields, key, rules and wire form.

Field names are Exact's (reference §5.3; checked against the REST reference JSON in the
tests). Values are stored as Python values (``uuid.UUID``, ``Decimal``, aware ``datetime``)
and turned into the wire form only on the way out.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import attrs

from finlink.testing.exact.properties import reference_properties
from finlink.testing.exact.wire import exact_error, parse_wire_datetime, to_wire

if TYPE_CHECKING:
    from finlink.testing.exact.store import DivisionStore

__all__ = [
    "EntitySpec",
    "FieldSpec",
    "Record",
    "f",
    "mandatory",
    "max_length",
    "stored",
    "with_reference_properties",
]

Record = dict[str, Any]

_CLR_TYPES = {
    "guid": "System.Guid",
    "string": "System.String",
    "int": "System.Int32",
    "int64": "System.Int64",
    "double": "System.Double",
    "bool": "System.Boolean",
    "datetime": "System.DateTime",
    "binary": "Byte[]",
}
#: Kinds that are no single value: navigation collections and complex types.
STRUCTURED = frozenset({"nav", "complex"})


@attrs.frozen(kw_only=True)
class FieldSpec:
    """One property of an entity.

    Attributes:
        name: Exact's property name.
        kind: guid, string, int, int64, double, bool, datetime or binary; ``nav`` or
            ``complex`` for a structured property the sandbox does not simulate.
        writable: Whether POST/PUT may set it (read-only values sent are ignored).
        max_length: Longest accepted string, where the reference gives one.
        ljust: Width Exact pads the stored string to on the right (``"NL "``).
        rjust: Width Exact pads the stored string to on the left (Account ``Code``).
        label: Dutch label used in validation messages.
        default: Value of a new record when the client sends none.
        simulated: False for a property taken from Exact's reference that the sandbox only
            accepts: it is stored when a client sets it and otherwise reads as null.
    """

    name: str
    kind: str
    writable: bool = True
    max_length: int | None = None
    ljust: int | None = None
    rjust: int | None = None
    label: str | None = None
    default: Any = None
    simulated: bool = True


def f(name: str, kind: str = "string", **options: Any) -> FieldSpec:
    """Shorthand for :class:`FieldSpec` (``ro=True`` marks a read-only field)."""
    writable = not options.pop("ro", False)
    return FieldSpec(name=name, kind=kind, writable=writable, **options)


Hook = Callable[["DivisionStore", Record, Record], None]


def with_reference_properties(path: str, fields: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
    """``fields`` plus every other property Exact's reference lists for ``path``.

    The added ones are not simulated (:attr:`FieldSpec.simulated` is False): they carry the
    reference's type and read-only flag, so the sandbox accepts them wherever Exact would.
    """
    known = {spec.name for spec in fields}
    extra = tuple(
        FieldSpec(name=prop.name, kind=prop.kind, writable=not prop.read_only, simulated=False)
        for prop in reference_properties(path)
        if prop.name not in known
    )
    return fields + extra


def _no_hook(_store: DivisionStore, _record: Record, _sent: Record) -> None:
    return None


@attrs.frozen(kw_only=True)
class EntitySpec:
    """An Exact entity endpoint.

    Attributes:
        path: Canonical endpoint path after the division, e.g. ``crm/Accounts``.
        type_name: ``__metadata.type``, e.g. ``Exact.Web.Api.Models.Account``.
        fields: The properties, in wire order.
        key: Name of the key property.
        methods: HTTP methods the endpoint supports.
        topic: Webhook topic that fires on changes, if any (§5.1).
        deleted_type: ``EntityType`` in ``sync/Deleted`` (§4.7), if deletions are logged.
        mandatory_filter: Fields one of which a list GET must filter on (§4.4).
        navigation: Navigation properties: name → child entity path and its parent field.
        validate: Called on create and update with (store, merged record, fields sent);
            raises ``HttpError`` to refuse, may fill computed fields.
    """

    path: str
    type_name: str
    fields: tuple[FieldSpec, ...]
    key: str = "ID"
    methods: frozenset[str] = frozenset({"GET", "POST", "PUT", "DELETE"})
    topic: str | None = None
    deleted_type: int | None = None
    mandatory_filter: tuple[str, ...] = ()
    navigation: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)
    validate: Hook = _no_hook

    def __attrs_post_init__(self) -> None:
        # The hand-written fields are the simulated ones; Exact's reference adds the rest,
        # so that every property it lists is accepted (issue #15).
        object.__setattr__(self, "fields", with_reference_properties(self.path, self.fields))

    @property
    def field_map(self) -> dict[str, FieldSpec]:
        """Fields by name."""
        return {spec.name: spec for spec in self.fields}

    def blank(self) -> Record:
        """A record with every simulated field at its default (others read as null)."""
        record: Record = {spec.name: spec.default for spec in self.fields if spec.simulated}
        for name in self.navigation:
            record.pop(name, None)
        return record

    def coerce(self, payload: Mapping[str, Any], *, read_only: bool = False) -> Record:
        """Turn a client's JSON object into stored values, as WCF Data Services would.

        Names Exact's reference does not list for the endpoint are refused like Exact does
        (reference §6 #15); read-only fields are ignored unless ``read_only`` (seeding by a
        test), navigation collections and structured values the sandbox does not simulate
        always. A value of the wrong type is refused whether or not the field is simulated.

        Raises:
            HttpError: 400 for an unknown property or a value of the wrong type.
        """
        fields = self.field_map
        out: Record = {}
        for name, value in payload.items():
            if name == "__metadata":
                continue
            spec = fields.get(name)
            if spec is None:
                raise exact_error(
                    400,
                    f"Error processing request stream. The property name '{name}' specified "
                    f"for type '{self.type_name}' is not valid.",
                )
            if name in self.navigation or spec.kind in STRUCTURED:
                continue
            if not (spec.writable or read_only):
                continue
            out[name] = self._value(spec, value)
        return out

    def _value(self, spec: FieldSpec, value: Any) -> Any:
        if value is None:
            return None
        try:
            converted = _CONVERT[spec.kind](value)
        except (ValueError, TypeError, InvalidOperation):
            raise exact_error(
                400,
                "Error processing request stream. Error encountered in converting the value "
                f"from request payload for property '{spec.name}' to type "
                f"'{_CLR_TYPES[spec.kind]}'.",
            ) from None
        if isinstance(converted, str):
            if spec.rjust:
                converted = converted.strip().rjust(spec.rjust)
            elif spec.ljust:
                converted = converted.strip().ljust(spec.ljust)
        return converted

    def to_wire(
        self, record: Record, *, base: str, division: int, select: list[str] | None = None
    ) -> dict[str, Any]:
        """One record in Exact's JSON form with ``__metadata``.

        Without ``select``: the simulated fields, and the others a client has set.
        """
        uri = f"{base}/api/v1/{division}/{self.path}({self.key_literal(record[self.key])})"
        out: dict[str, Any] = {"__metadata": {"uri": uri, "type": self.type_name}}
        names = select if select is not None else self.default_names(record)
        for name in names:
            if name in self.navigation:
                out[name] = {"__deferred": {"uri": f"{uri}/{name}"}}
            else:
                out[name] = to_wire(record.get(name))
        return out

    def default_names(self, record: Record) -> list[str]:
        """The fields a GET without ``$select`` returns for ``record``.

        The simulated fields (the shape of Exact's recorded responses), and any other the
        record holds because a client set it.
        """
        return [spec.name for spec in self.fields if spec.simulated or spec.name in record]

    @staticmethod
    def key_literal(key: Any) -> str:
        """The key as it appears in a URL: ``guid'…'`` or ``123L``."""
        if isinstance(key, uuid.UUID):
            return f"guid'{key}'"
        return f"{key}L"


def _guid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise TypeError(value)
    return uuid.UUID(value)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(value)
    return int(value)


def _double(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise TypeError(value)
    return Decimal(str(value))


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"  # picqer sends 'true' strings and Exact accepts them
    raise TypeError(value)


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if not isinstance(value, str):
        raise TypeError(value)
    return parse_wire_datetime(value)


def _binary(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise TypeError(value)
    return base64.b64decode(value, validate=True)


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "guid": _guid,
    "string": _string,
    "int": _int,
    "int64": _int,
    "double": _double,
    "bool": _bool,
    "datetime": _datetime,
    "binary": _binary,
}


def mandatory(record: Record, *names: str, labels: Mapping[str, str] | None = None) -> None:
    """Refuse a record that leaves a mandatory field empty.

    Raises:
        HttpError: 400 ``Verplicht: <label>`` (wording in the style of Exact's Dutch
            messages, e.g. ``Ongeldig: Factuur voor (Type)``; the exact text is UNVERIFIED).
    """
    for name in names:
        value = record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            label = (labels or {}).get(name, name)
            raise exact_error(400, f"Verplicht: {label}")


def max_length(record: Record, name: str, limit: int) -> None:
    """Refuse a string longer than ``limit`` (reference §5.3 lengths).

    Raises:
        HttpError: 400 naming the field and the limit.
    """
    value = record.get(name)
    if isinstance(value, str) and len(value.strip()) > limit:
        raise exact_error(400, f"Ongeldig: {name} (maximaal {limit} tekens)")


def stored(store: DivisionStore, path: str, key: Any, label: str) -> Record:
    """The referenced record, or a 400 ``Ongeldig: <label>`` when it does not exist.

    Raises:
        HttpError: 400 when the key does not resolve.
    """
    record = store.table(path).get(key) if key is not None else None
    if record is None:
        raise exact_error(400, f"Ongeldig: {label}")
    return record
