"""VAT per category from a dated table, and totals exact to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finlink import (
    BELGIAN_VAT_RATES,
    DUTCH_VAT_RATES,
    BookingKind,
    VatCategory,
    VatRate,
    VatRates,
    round_cents,
)
from tests.model.factories import booking, line


def test_dutch_rates_today() -> None:
    today = date(2026, 3, 1)
    assert DUTCH_VAT_RATES.rate(VatCategory.HIGH, today) == Decimal("0.21")
    assert DUTCH_VAT_RATES.rate(VatCategory.LOW, today) == Decimal("0.09")
    for category in (VatCategory.ZERO, VatCategory.EXEMPT, VatCategory.REVERSE_CHARGE):
        assert DUTCH_VAT_RATES.rate(category, today) == 0


def test_dutch_rates_follow_the_invoice_date() -> None:
    assert DUTCH_VAT_RATES.rate(VatCategory.LOW, date(2018, 12, 31)) == Decimal("0.06")
    assert DUTCH_VAT_RATES.rate(VatCategory.LOW, date(2019, 1, 1)) == Decimal("0.09")
    assert DUTCH_VAT_RATES.rate(VatCategory.HIGH, date(2012, 9, 30)) == Decimal("0.19")
    assert DUTCH_VAT_RATES.rate(VatCategory.HIGH) == Decimal("0.21")


def test_old_invoice_uses_the_old_low_rate() -> None:
    old = booking(line("100.00", VatCategory.LOW), invoice_date=date(2018, 6, 1))
    assert old.total_vat == Decimal("6.00")


def test_dutch_table_has_no_intermediate_rate() -> None:
    assert not DUTCH_VAT_RATES.has(VatCategory.INTERMEDIATE)
    with pytest.raises(KeyError, match="intermediate"):
        DUTCH_VAT_RATES.rate(VatCategory.INTERMEDIATE)
    assert BELGIAN_VAT_RATES.rate(VatCategory.INTERMEDIATE) == Decimal("0.12")
    assert BELGIAN_VAT_RATES.rate(VatCategory.LOW) == Decimal("0.06")


def test_a_host_can_supply_its_own_table() -> None:
    table = VatRates.of(
        [
            VatRate(category=VatCategory.HIGH, rate=Decimal("0.25"), valid_from=date(2030, 1, 1)),
            VatRate(category=VatCategory.HIGH, rate=Decimal("0.21")),
        ]
    )
    assert table.categories == frozenset({VatCategory.HIGH})
    assert table.rate(VatCategory.HIGH, date(2029, 12, 31)) == Decimal("0.21")
    assert table.rate(VatCategory.HIGH, date(2030, 1, 1)) == Decimal("0.25")
    future = booking(line("100.00"), invoice_date=date(2030, 2, 1))
    assert future.totals(table).vat == Decimal("25.00")
    assert not table.has(VatCategory.HIGH, date(1800, 1, 1))


def test_rates_must_be_decimal_fractions() -> None:
    with pytest.raises(ValueError, match="Decimal in"):
        VatRate(category=VatCategory.HIGH, rate=Decimal(21))
    with pytest.raises(ValueError, match="Decimal in"):
        VatRate(category=VatCategory.HIGH, rate=0.21)  # type: ignore[arg-type]


def test_vat_is_rounded_per_category_half_up() -> None:
    # 0.05 * 21 % = 0.0105 per line; per category: 0.15 * 21 % = 0.0315 -> 0.03
    invoice = booking(line("0.05"), line("0.05"), line("0.05"))
    totals = invoice.totals()
    assert totals.vat_by_category == {VatCategory.HIGH: Decimal("0.03")}
    assert totals.excl_vat == Decimal("0.15")
    assert totals.incl_vat == Decimal("0.18")


def test_half_cent_rounds_up() -> None:
    # 2.50 * 21 % = 0.525 -> 0.53 (ROUND_HALF_UP, not banker's rounding to 0.52)
    assert booking(line("2.50")).total_vat == Decimal("0.53")
    assert round_cents(Decimal("-0.525")) == Decimal("-0.53")


def test_totals_per_category() -> None:
    invoice = booking(
        line("100.00", VatCategory.HIGH),
        line("50.00", VatCategory.LOW),
        line("20.00", VatCategory.EXEMPT),
        line("-10.00", VatCategory.HIGH),
    )
    totals = invoice.totals()
    assert totals.base_by_category == {
        VatCategory.HIGH: Decimal("90.00"),
        VatCategory.LOW: Decimal("50.00"),
        VatCategory.EXEMPT: Decimal("20.00"),
    }
    assert totals.vat_by_category == {
        VatCategory.HIGH: Decimal("18.90"),
        VatCategory.LOW: Decimal("4.50"),
        VatCategory.EXEMPT: Decimal("0.00"),
    }
    assert totals.vat == Decimal("23.40")
    assert totals.incl_vat == Decimal("183.40")
    assert invoice.total_excl_vat == Decimal("160.00")
    assert invoice.total_incl_vat == Decimal("183.40")


def test_a_line_with_its_own_vat_keeps_it() -> None:
    invoice = booking(line("10.00", vat_amount=Decimal("2.11")), line("10.00"))
    assert invoice.totals().vat_by_category == {VatCategory.HIGH: Decimal("4.21")}


def test_credit_note_totals_are_positive_like_the_invoice_it_mirrors() -> None:
    invoice = booking(line("33.33"))
    credit = booking(line("33.33"), kind=BookingKind.SALES_CREDIT_NOTE)
    assert credit.totals() == invoice.totals()


_amounts = st.decimals(
    min_value=Decimal("-10000"), max_value=Decimal("100000"), places=2, allow_nan=False
)
_categories = st.sampled_from(
    [VatCategory.HIGH, VatCategory.LOW, VatCategory.ZERO, VatCategory.EXEMPT, VatCategory.EU_GOODS]
)


@given(st.lists(st.tuples(_amounts, _categories), min_size=1, max_size=12))
def test_totals_are_exact_to_the_cent(lines: list[tuple[Decimal, VatCategory]]) -> None:
    invoice = booking(*(line(str(amount), category) for amount, category in lines))
    totals = invoice.totals()
    assert totals.excl_vat == sum((a for a, _ in lines), Decimal(0))
    assert totals.incl_vat == totals.excl_vat + totals.vat
    assert totals.vat == sum(totals.vat_by_category.values(), Decimal(0))
    for category, vat in totals.vat_by_category.items():
        base = sum((a for a, c in lines if c == category), Decimal(0))
        assert vat == round_cents(base * DUTCH_VAT_RATES.rate(category, invoice.invoice_date))
        assert vat == vat.quantize(Decimal("0.01"))
