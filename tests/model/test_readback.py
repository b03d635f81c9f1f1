"""Open items: payment status and overdue; project costs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from finlink import OpenItem, OpenItemKind, PaymentStatus, ProjectCost


def item(amount: str, open_amount: str, due: date | None = date(2026, 3, 31)) -> OpenItem:
    return OpenItem(
        administration="exact:123",
        remote_id="r-1",
        remote_relation_id="acc-1",
        relation_id="crm-1",
        invoice_number="F2026-0001",
        booking_id="inv-1",
        invoice_date=date(2026, 3, 1),
        due_date=due,
        amount=Decimal(amount),
        open_amount=Decimal(open_amount),
    )


@pytest.mark.parametrize(
    ("amount", "open_amount", "status"),
    [
        ("121.00", "121.00", PaymentStatus.OPEN),
        ("121.00", "21.00", PaymentStatus.PARTIALLY_PAID),
        ("121.00", "0.00", PaymentStatus.PAID),
        ("-50.00", "-50.00", PaymentStatus.OPEN),
        ("-50.00", "-20.00", PaymentStatus.PARTIALLY_PAID),
        ("-50.00", "0", PaymentStatus.PAID),
    ],
)
def test_status_is_derived_from_the_open_amount(
    amount: str, open_amount: str, status: PaymentStatus
) -> None:
    assert item(amount, open_amount).status is status


def test_paid_amount() -> None:
    assert item("121.00", "21.00").paid_amount == Decimal("100.00")


def test_overdue_only_after_the_due_date_and_while_something_is_open() -> None:
    assert not item("121.00", "121.00").is_overdue(date(2026, 3, 31))
    assert item("121.00", "121.00").is_overdue(date(2026, 4, 1))
    assert item("121.00", "1.00").is_overdue(date(2026, 4, 1))
    assert not item("121.00", "0.00").is_overdue(date(2026, 4, 1))
    assert not item("121.00", "121.00", due=None).is_overdue(date(2030, 1, 1))


def test_open_item_defaults_to_a_receivable_in_euro() -> None:
    assert item("1.00", "1.00").kind is OpenItemKind.RECEIVABLE
    assert item("1.00", "1.00").currency == "EUR"


def test_project_cost_holds_the_booked_line() -> None:
    cost = ProjectCost(
        administration="snelstart:abc",
        project_id="proj-1",
        remote_id="m-1",
        date=date(2026, 3, 2),
        ledger_account="4000",
        description="Hout",
        amount=Decimal("250.00"),
        relation_id="sup-1",
    )
    assert cost.amount == Decimal("250.00")
    assert cost.currency == "EUR"
