"""VAT rates per category, with the dates they apply from, and cent-exact VAT arithmetic.

The Dutch table (:data:`DUTCH_VAT_RATES`) is the default. A host replaces it by passing its own
:class:`VatRates` wherever totals are computed (e.g. ``booking.totals(rates=...)``); nothing in
finlink reads a global rate.

Rates are dated because invoices are: a 2018 invoice at the Dutch low rate carries 6 %, one from
2019 on carries 9 % (Belastingdienst, "Btw-tarief van 6 % naar 9 %", per 1 January 2019), and the
high rate went from 19 % to 21 % on 1 October 2012.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import attrs

from finlink.model.enums import VatCategory

__all__ = [
    "BELGIAN_VAT_RATES",
    "CENT",
    "DUTCH_VAT_RATES",
    "VatRate",
    "VatRates",
    "round_cents",
]

#: One cent: the quantum every amount finlink sends is rounded to.
CENT = Decimal("0.01")

_EPOCH = date(1900, 1, 1)


def round_cents(amount: Decimal) -> Decimal:
    """Round ``amount`` to whole cents, halves away from zero (``ROUND_HALF_UP``).

    ``ROUND_HALF_UP`` in :mod:`decimal` rounds ``-0.005`` to ``-0.01`` too, so a credit note
    rounds exactly like the invoice it mirrors.
    """
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@attrs.frozen(kw_only=True)
class VatRate:
    """One category's rate from a given date on.

    Attributes:
        category: The VAT category.
        rate: The rate as a fraction: ``Decimal("0.21")`` for 21 %.
        valid_from: The first invoice date the rate applies to.
    """

    category: VatCategory
    rate: Decimal
    valid_from: date = _EPOCH

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.rate, Decimal) or not Decimal(0) <= self.rate < Decimal(1):
            raise ValueError(f"VAT rate for {self.category} must be a Decimal in [0, 1)")


@attrs.frozen
class VatRates:
    """A table of VAT rates: per category, the rate on a given invoice date.

    Build one with :meth:`VatRates.of` from dated :class:`VatRate` entries (the constructor
    takes them already grouped per category and sorted by ``valid_from``). For each category
    the entry with the latest ``valid_from`` on or before the invoice date applies.
    """

    _by_category: Mapping[VatCategory, tuple[VatRate, ...]] = attrs.field(alias="by_category")

    @classmethod
    def of(cls, rates: Iterable[VatRate]) -> VatRates:
        """Build a table from dated rates, in any order."""
        grouped: dict[VatCategory, list[VatRate]] = {}
        for entry in rates:
            grouped.setdefault(entry.category, []).append(entry)
        return cls(
            by_category={
                cat: tuple(sorted(entries, key=lambda e: e.valid_from))
                for cat, entries in grouped.items()
            }
        )

    @property
    def categories(self) -> frozenset[VatCategory]:
        """The categories this table has a rate for."""
        return frozenset(self._by_category)

    def has(self, category: VatCategory, on: date | None = None) -> bool:
        """Whether the table knows a rate for ``category`` (on date ``on``, if given)."""
        try:
            self.rate(category, on)
        except KeyError:
            return False
        return True

    def rate(self, category: VatCategory, on: date | None = None) -> Decimal:
        """The rate of ``category`` on date ``on`` (the newest rate when ``on`` is None).

        Raises:
            KeyError: The table has no rate for that category on that date.
        """
        entries = self._by_category.get(category, ())
        chosen: VatRate | None = None
        for entry in entries:
            if on is None or entry.valid_from <= on:
                chosen = entry
        if chosen is None:
            when = f" on {on.isoformat()}" if on else ""
            raise KeyError(f"no VAT rate for category {category.value!r}{when}")
        return chosen.rate

    def vat(self, base: Decimal, category: VatCategory, on: date | None = None) -> Decimal:
        """VAT on ``base`` at the category's rate, rounded half-up to cents."""
        return round_cents(base * self.rate(category, on))


_ZERO_RATED = (
    VatCategory.ZERO,
    VatCategory.EXEMPT,
    VatCategory.REVERSE_CHARGE,
    VatCategory.EU_GOODS,
    VatCategory.EU_SERVICES,
    VatCategory.NON_EU,
)

#: Dutch rates: high 21 % (19 % before 1 Oct 2012), low 9 % (6 % before 2019), all others 0 %.
DUTCH_VAT_RATES = VatRates.of(
    [
        VatRate(category=VatCategory.HIGH, rate=Decimal("0.19")),
        VatRate(category=VatCategory.HIGH, rate=Decimal("0.21"), valid_from=date(2012, 10, 1)),
        VatRate(category=VatCategory.LOW, rate=Decimal("0.06")),
        VatRate(category=VatCategory.LOW, rate=Decimal("0.09"), valid_from=date(2019, 1, 1)),
        *(VatRate(category=c, rate=Decimal(0)) for c in _ZERO_RATED),
    ]
)

#: Belgian rates: 21 %, intermediate 12 %, low 6 %, all others 0 %.
BELGIAN_VAT_RATES = VatRates.of(
    [
        VatRate(category=VatCategory.HIGH, rate=Decimal("0.21")),
        VatRate(category=VatCategory.INTERMEDIATE, rate=Decimal("0.12")),
        VatRate(category=VatCategory.LOW, rate=Decimal("0.06")),
        *(VatRate(category=c, rate=Decimal(0)) for c in _ZERO_RATED),
    ]
)
