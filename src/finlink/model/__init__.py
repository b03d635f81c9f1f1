"""The domain model: relations, projects, bookings, and what is read back.

Every class is an attrs class: frozen, slotted, keyword-only and fully typed. Construction
refuses only what cannot be interpreted (naive datetimes, float money, wrong types); business
rules are checked by :func:`validate` / :func:`check`, and :func:`normalize_relation` gives
the canonical form.
"""

from finlink.model.booking import Attachment, Booking, BookingLine, BookingTotals, Project
from finlink.model.enums import BookingKind, OpenItemKind, PaymentStatus, RelationRole, VatCategory
from finlink.model.identifiers import (
    normalize_bic,
    normalize_coc_number,
    normalize_email,
    normalize_iban,
    normalize_postcode,
    normalize_vat_number,
)
from finlink.model.normalize import normalize_address, normalize_contact, normalize_relation
from finlink.model.readback import OpenItem, ProjectCost
from finlink.model.relation import Address, Contact, ExtraValue, Relation
from finlink.model.validation import check, validate
from finlink.model.vat import (
    BELGIAN_VAT_RATES,
    CENT,
    DUTCH_VAT_RATES,
    VatRate,
    VatRates,
    round_cents,
)

__all__ = [
    "Address",
    "Attachment",
    "BELGIAN_VAT_RATES",
    "Booking",
    "BookingKind",
    "BookingLine",
    "BookingTotals",
    "CENT",
    "Contact",
    "DUTCH_VAT_RATES",
    "ExtraValue",
    "OpenItem",
    "OpenItemKind",
    "PaymentStatus",
    "Project",
    "ProjectCost",
    "Relation",
    "RelationRole",
    "VatCategory",
    "VatRate",
    "VatRates",
    "check",
    "normalize_address",
    "normalize_bic",
    "normalize_coc_number",
    "normalize_contact",
    "normalize_email",
    "normalize_iban",
    "normalize_postcode",
    "normalize_relation",
    "normalize_vat_number",
    "round_cents",
    "validate",
]
