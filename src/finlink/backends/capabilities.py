"""What a backend can and cannot do, told truthfully so the engine can plan around it."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["Capabilities", "Feature", "RateLimit"]


class Feature:
    """Names of the optional parts of the :class:`~finlink.backends.Backend` protocol."""

    RELATIONS = "relations"
    CONTACTS = "contacts"
    PROJECTS = "projects"
    BOOKINGS = "bookings"
    ATTACHMENTS = "attachments"
    OPEN_ITEMS = "open_items"
    PROJECT_COSTS = "project_costs"
    REFERENCE_DATA = "reference_data"

    ALL = frozenset(
        {
            RELATIONS,
            CONTACTS,
            PROJECTS,
            BOOKINGS,
            ATTACHMENTS,
            OPEN_ITEMS,
            PROJECT_COSTS,
            REFERENCE_DATA,
        }
    )


@attrs.frozen(kw_only=True)
class RateLimit:
    """A budget of ``calls`` per ``period_seconds``, per administration.

    Attributes:
        calls: How many calls the window allows.
        period_seconds: The window's length (60 for a minute, 86 400 for a day).
        aligned: True when the window restarts on the clock (Exact: every full minute, midnight
            UTC for the day); False for a sliding window.
    """

    calls: int
    period_seconds: float
    aligned: bool = True


@attrs.frozen(kw_only=True)
class Capabilities:
    """The limits of one backend (and of the vendor behind it).

    The engine plans from these: a relation with three contacts sent to a backend with
    ``max_contacts_per_relation=1`` gets one contact and a report of the other two; a relation
    that is both customer and supplier becomes two linked remote relations where
    ``customer_and_supplier`` is False. So they must be true — the conformance suite checks.

    Attributes:
        features: Which parts of the protocol work (see :class:`Feature`); the others raise
            ``NotImplementedError``.
        max_contacts_per_relation: None for no limit (Exact), 1 for SnelStart.
        customer_and_supplier: Whether one remote relation may be customer and supplier at once.
        max_attachment_bytes: The largest attachment accepted (raw bytes), None for no limit.
        attachment_media_types: Accepted MIME types, empty for any.
        incremental_reads: Whether ``read_relations``/``read_open_items`` honour a cursor (else
            every read is a full read).
        webhooks: Whether the vendor can push change notifications.
        field_max_lengths: Per-field maximum lengths the vendor enforces, keyed
            ``"relation.name"``, ``"contact.email"``, ``"project.number"``,
            ``"booking.invoice_number"``...
        rate_limits: The vendor's call budgets per administration.
        max_concurrency: How many calls may be in flight at once per administration (None: any).
        max_page_size: The most rows one read call returns (the engine uses it for estimates).
    """

    features: frozenset[str] = Feature.ALL
    max_contacts_per_relation: int | None = None
    customer_and_supplier: bool = True
    max_attachment_bytes: int | None = None
    attachment_media_types: frozenset[str] = frozenset()
    incremental_reads: bool = True
    webhooks: bool = False
    field_max_lengths: Mapping[str, int] = attrs.field(factory=dict, hash=False)
    rate_limits: tuple[RateLimit, ...] = ()
    max_concurrency: int | None = None
    max_page_size: int | None = None

    def supports(self, feature: str) -> bool:
        """Whether the backend implements ``feature`` (a :class:`Feature` name)."""
        return feature in self.features

    def max_length(self, field: str) -> int | None:
        """The vendor's maximum length of ``field`` (e.g. ``"relation.name"``), if any."""
        return self.field_max_lengths.get(field)
