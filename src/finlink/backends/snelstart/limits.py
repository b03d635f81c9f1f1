"""SnelStart's limits: call budgets per product, field lengths, and the capabilities they make.

Every number here comes from the reference (``snelstart.md``):

- budgets per administration (§2.3, P-CERT): Ontwikkeling & Test 100 calls a minute, 1,000 an
  hour, 5 at once; Maatwerk and Productie 500, 5,000 and 50. SnelStart runs on Azure API
  Management, whose ``rate-limit`` policy slides; how the hour counts is not documented, and a
  sliding window is the safe guess (``RateLimiter.for_snelstart`` makes the same choice);
- one soort per relatie (REL-0065) and one contact person, the free-text
  ``vestigingsAdres.contactpersoon`` (§3.1, §5 quirk 7);
- field lengths from the error codes (§2.4, §3.1): REL-0012/0013 phones 25, REL-0020..0023
  address 50/25/50/50, REL-0085 e-mail 250, REL-0057 btw-nummer 50; the SPEC's
  ``maxLength`` for naam 50, kvkNummer 12, websiteUrl 100, iban 50, bic 15; KPL-0005
  omschrijving 50; BOE-0058 factuurnummer 25, BOE-0071 omschrijving 250;
- documents up to 10 MB (BLG-0006/0013, §3.9).
"""

from __future__ import annotations

import attrs

from finlink.backends.capabilities import Capabilities, Feature, RateLimit
from finlink.clock import Clock
from finlink.http import RateLimiter, RateLimitState

__all__ = [
    "FIELD_MAX_LENGTHS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_PAGE_SIZE",
    "WINDOW_MARGIN_SECONDS",
    "limiter_for",
    "snelstart_capabilities",
]

#: ``$top`` is at most 500 on every list finlink reads (§2.2, P-ODATA).
MAX_PAGE_SIZE = 500

#: BLG-0006 / BLG-0013: "Bijlage mag niet groter zijn dan 10 MB" (read as 10 MiB is not
#: documented; 10,000,000 bytes is the safe reading).
MAX_ATTACHMENT_BYTES = 10_000_000

#: Seconds added to each window finlink counts in: our count starts when a call is sent, the
#: server's when it arrives, so a call counted at the very end of our window may land at the
#: start of the server's next one. One second of slack keeps the two apart at a cost of under
#: 2 % of the minute budget (500 calls in 61 s instead of 60 s).
WINDOW_MARGIN_SECONDS = 1.0

#: Per-field maximum lengths, keyed as :attr:`Capabilities.field_max_lengths` wants them.
FIELD_MAX_LENGTHS: dict[str, int] = {
    "relation.name": 50,
    "relation.phone": 25,
    "relation.mobile": 25,
    "relation.email": 250,
    "relation.website": 100,
    "relation.vat_number": 50,
    "relation.coc_number": 12,
    "relation.iban": 50,
    "relation.bic": 15,
    "address.line1": 50,
    "address.postcode": 25,
    "address.city": 50,
    "contact.name": 50,
    "project.number": 9,
    "project.description": 50,
    "booking.invoice_number": 25,
    "booking.description": 250,
    "booking_line.description": 250,
}


def snelstart_capabilities(*, test_key: bool = False) -> Capabilities:
    """What :class:`~finlink.backends.snelstart.SnelStartBackend` can do, told truthfully.

    Args:
        test_key: True for the Ontwikkeling & Test product's budgets (100/min, 1,000/h, 5 at
            once), False for Maatwerk/Productie (500/min, 5,000/h, 50 at once).
    """
    per_minute, per_hour, concurrent = (100, 1000, 5) if test_key else (500, 5000, 50)
    return Capabilities(
        features=Feature.ALL,
        max_contacts_per_relation=1,
        customer_and_supplier=False,
        max_attachment_bytes=MAX_ATTACHMENT_BYTES,
        attachment_media_types=frozenset(),
        incremental_reads=True,
        webhooks=False,  # §1.5: the only webhook is the coupling's; no data-change webhooks.
        field_max_lengths=dict(FIELD_MAX_LENGTHS),
        rate_limits=(
            RateLimit(calls=per_minute, period_seconds=60, aligned=False),
            RateLimit(calls=per_hour, period_seconds=3600, aligned=False),
        ),
        max_concurrency=concurrent,
        max_page_size=MAX_PAGE_SIZE,
    )


def limiter_for(
    capabilities: Capabilities,
    *,
    clock: Clock,
    key: str,
    state: RateLimitState | None = None,
    margin: float = WINDOW_MARGIN_SECONDS,
) -> RateLimiter:
    """The limiter for one administration: the declared budgets, each window ``margin`` longer.

    Built with :meth:`RateLimiter.from_capabilities`, so the budgets are stated once (in the
    capabilities). Pass a shared ``state`` when several processes use one administration.
    """
    padded = attrs.evolve(
        capabilities,
        rate_limits=tuple(
            attrs.evolve(limit, period_seconds=limit.period_seconds + margin)
            for limit in capabilities.rate_limits
        ),
    )
    return RateLimiter.from_capabilities(padded, clock=clock, key=key, state=state)
