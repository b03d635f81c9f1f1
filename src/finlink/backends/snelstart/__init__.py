"""SnelStart B2B API v2 backend: one administration per :class:`SnelStartBackend`.

See the docs page "SnelStart" for the koppelsleutel, subscription key, limits, the one-soort
and one-contact rules, and what each CRM field becomes.
"""

from finlink.backends.snelstart.auth import TOKEN_URL, KoppelsleutelAuth
from finlink.backends.snelstart.backend import API_URL, BookingRequest, SnelStartBackend
from finlink.backends.snelstart.bookings import booking_body
from finlink.backends.snelstart.limits import FIELD_MAX_LENGTHS, snelstart_capabilities
from finlink.backends.snelstart.refdata import DEFAULT_BTW_SOORTEN

__all__ = [
    "API_URL",
    "DEFAULT_BTW_SOORTEN",
    "FIELD_MAX_LENGTHS",
    "TOKEN_URL",
    "BookingRequest",
    "KoppelsleutelAuth",
    "SnelStartBackend",
    "booking_body",
    "snelstart_capabilities",
]
