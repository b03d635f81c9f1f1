"""Exact Online: ``ExactBackend`` for one division, its OAuth flow, settings and webhooks.

See ``docs/exact-online.md`` for setup, consent, tokens, limits and the field mapping.
"""

from finlink.backends.exact.auth import (
    COUNTRY_HOSTS,
    EARLIEST_REFRESH,
    ExactAuth,
    ExactOAuth,
    exact_host,
)
from finlink.backends.exact.backend import ExactBackend, exact_capabilities
from finlink.backends.exact.config import exact_from_config
from finlink.backends.exact.divisions import ExactDivision, discover_divisions
from finlink.backends.exact.ledger import categorise_vat_codes
from finlink.backends.exact.mapping import FIELD_MAX_LENGTHS, search_code
from finlink.backends.exact.settings import ExactSettings
from finlink.backends.exact.webhooks import WebhookEvent, WebhookSignatureError, parse_webhook

__all__ = [
    "COUNTRY_HOSTS",
    "EARLIEST_REFRESH",
    "FIELD_MAX_LENGTHS",
    "ExactAuth",
    "ExactBackend",
    "ExactDivision",
    "ExactOAuth",
    "ExactSettings",
    "WebhookEvent",
    "WebhookSignatureError",
    "categorise_vat_codes",
    "discover_divisions",
    "exact_capabilities",
    "exact_from_config",
    "exact_host",
    "parse_webhook",
    "search_code",
]
