"""Exact's own property lists for the endpoints the sandbox emulates (from ``_metadata``).

The sandbox's entities are hand-written where it simulates behaviour (padding, defaults,
computed fields, validation). Every other property Exact's REST reference lists for the same
endpoint is still *accepted* - in ``$select``, ``$filter``, ``$orderby`` and POST/PUT bodies,
with its type and read-only flag - so that a vendor's valid code never fails against the
sandbox where it would work against Exact (issue #15: ``Contacts?$select=...,Code,...``).
"""

from __future__ import annotations

import functools

import attrs

from finlink.testing.exact._metadata import SOURCE, SOURCE_DATE, TABLE

__all__ = ["SOURCE", "SOURCE_DATE", "Property", "listed_paths", "reference_properties"]

#: Edm types (without ``Edm.``) → the sandbox's field kinds.
_KINDS = {
    "Guid": "guid",
    "String": "string",
    "DateTime": "datetime",
    "Int16": "int",
    "Int32": "int",
    "Byte": "int",
    "Int64": "int64",
    "Double": "double",
    "Boolean": "bool",
    "Binary": "binary",
}


@attrs.frozen
class Property:
    """One property as Exact's reference lists it.

    Attributes:
        name: The property name.
        type: The Edm type without ``Edm.`` (``Guid``, ``Int32``...), or an entity set name
            (a navigation collection such as ``BankAccounts``) or a dotted complex type name.
        read_only: Whether POST and PUT leave it alone.
    """

    name: str
    type: str
    read_only: bool

    @property
    def kind(self) -> str:
        """The sandbox's kind of this property.

        One of guid, string, int, int64, double, bool, datetime, binary; ``nav`` for a
        navigation collection, ``complex`` for a structured value (``DivisionClass``).
        """
        if self.type in _KINDS:
            return _KINDS[self.type]
        return "complex" if "." in self.type else "nav"


@functools.cache
def _parsed() -> dict[str, tuple[Property, ...]]:
    table: dict[str, tuple[Property, ...]] = {}
    for path, text in TABLE.items():
        props = []
        for item in text.split():
            name, kind, *flag = item.split(":")
            props.append(Property(name=name, type=kind, read_only=flag == ["ro"]))
        table[path.lower()] = tuple(props)
    return table


def reference_properties(path: str) -> tuple[Property, ...]:
    """The properties the reference lists for an endpoint (case-insensitive), or ``()``."""
    return _parsed().get(path.lower(), ())


def listed_paths() -> list[str]:
    """The endpoint paths the table covers, as the reference spells them."""
    return list(TABLE)
