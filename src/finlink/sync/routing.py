"""Which administrations a record goes to.

One CRM can feed several administrations (a foundation and a company sharing one customer
file). A :class:`Router` is any callable ``(record, administrations) -> administrations``.
The default, :class:`DefaultRouter`, sends relations and projects to every administration and a
booking to the one named on it (``Booking.administration``), or to the only administration there
is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import attrs

from finlink._errors import Problem, ValidationError
from finlink.model.booking import Booking, Project
from finlink.model.relation import Relation

__all__ = ["DefaultRouter", "Router", "by_extra_field"]

Record = Relation | Project | Booking


class Router(Protocol):
    """Decides the administrations a record goes to."""

    def __call__(self, record: Record, administrations: Sequence[str]) -> Sequence[str]:
        """Return the administrations (a subset of ``administrations``) ``record`` goes to.

        Raises:
            ValidationError: The record cannot be routed (e.g. a booking names no
                administration and there are several).
        """
        ...


@attrs.frozen
class DefaultRouter:
    """Relations and projects to every administration; a booking to the one it names.

    Attributes:
        relations_to: Limit relations and projects to these administrations (None: all).
    """

    relations_to: frozenset[str] | None = None

    def __call__(self, record: Record, administrations: Sequence[str]) -> Sequence[str]:
        """Route ``record``; see the class docstring."""
        if isinstance(record, Booking):
            return _booking_target(record, administrations)
        if self.relations_to is None:
            return list(administrations)
        return [adm for adm in administrations if adm in self.relations_to]


def _booking_target(booking: Booking, administrations: Sequence[str]) -> list[str]:
    if booking.administration is not None:
        if booking.administration not in administrations:
            known = ", ".join(administrations)
            raise ValidationError(
                [
                    Problem(
                        path="administration",
                        rule="unknown_administration",
                        message=f"names {booking.administration!r}, which is not one of: {known}",
                    )
                ],
                subject=f"booking {booking.id!r}",
            )
        return [booking.administration]
    if len(administrations) == 1:
        return list(administrations)
    raise ValidationError(
        [
            Problem(
                path="administration",
                rule="administration_required",
                message="is needed: several administrations are configured and a booking goes "
                "to exactly one (set Booking.administration or give the engine a router)",
            )
        ],
        subject=f"booking {booking.id!r}",
    )


@attrs.frozen
class _ByExtraField:
    field: str
    mapping: Mapping[str, Sequence[str]]
    fallback: Router

    def __call__(self, record: Record, administrations: Sequence[str]) -> Sequence[str]:
        if isinstance(record, Relation):
            value = record.extra.get(self.field)
            if isinstance(value, str) and value in self.mapping:
                return [adm for adm in self.mapping[value] if adm in administrations]
        return self.fallback(record, administrations)


def by_extra_field(
    field: str, mapping: Mapping[str, Sequence[str]], *, fallback: Router | None = None
) -> Router:
    """Route relations by one of their ``extra`` fields, e.g. the CRM's business unit.

    ``by_extra_field("unit", {"foundation": ["exact:1"], "company": ["exact:2"]})`` sends a
    relation whose ``extra["unit"]`` is ``"foundation"`` to ``exact:1`` only; other records (and
    relations without the field) go where ``fallback`` (default :class:`DefaultRouter`) sends them.
    """
    return _ByExtraField(field, dict(mapping), fallback or DefaultRouter())
