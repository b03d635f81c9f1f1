"""Cost centres, entries, documents, open items and project costs against ExactSandbox."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from finlink import (
    OutcomeUnknownError,
    RelationRole,
    RemoteValidationError,
    ValidationError,
    VatCategory,
)
from finlink.backends.exact import ExactBackend, ExactSettings, categorise_vat_codes
from finlink.model.booking import Attachment, Booking, BookingLine, Project
from finlink.model.enums import BookingKind, OpenItemKind
from finlink.model.relation import Relation
from finlink.testing.exact import ExactSandbox
from tests.backends.exact.support import (
    DIVISION,
    new_sandbox,
    recorded_backend,
)


def customer(backend: ExactBackend, n: int = 1, supplier: bool = False) -> str:
    roles = {RelationRole.SUPPLIER} if supplier else {RelationRole.CUSTOMER}
    made = backend.create_relation(
        Relation(id=f"crm-{n}", name=f"Klant {n}", roles=frozenset(roles)), reference=f"crm-{n}"
    )
    return made.remote_id


def booking(
    number: str = "F2026-001",
    kind: BookingKind = BookingKind.SALES_INVOICE,
    project_id: str | None = None,
    lines: tuple[BookingLine, ...] | None = None,
) -> Booking:
    ledger = "8000" if kind.is_sales else "4000"
    return Booking(
        id=f"b-{number}",
        kind=kind,
        relation_id="crm-1",
        invoice_number=number,
        invoice_date=date(2026, 3, 2),
        payment_term_days=30,
        description=f"Factuur {number}",
        lines=lines
        or (
            BookingLine(
                description="Brood",
                ledger_account=ledger,
                amount=Decimal("100.00"),
                vat_category=VatCategory.HIGH,
                project_id=project_id,
            ),
            BookingLine(
                description="Koek",
                ledger_account=ledger,
                amount=Decimal("33.33"),
                vat_category=VatCategory.LOW,
            ),
        ),
    )


def entries(
    sandbox: ExactSandbox, path: str = "salesentry/SalesEntries"
) -> list[dict[str, object]]:
    return sandbox.records(DIVISION, path)


def test_a_booking_without_pdf_is_one_call_and_with_pdf_three() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    relation_id = customer(backend)
    backend.reference_data()  # cached once per division
    recorder.clear()
    made = backend.create_booking(
        booking(), relation_remote_id=relation_id, project_numbers={}, reference="F2026-001"
    )
    assert len(recorder.api_calls()) == 1
    recorder.clear()
    backend.attach_document(made.remote_id, Attachment(file_name="F2026-001.pdf", content=b"%PDF"))
    assert [c.path.rsplit("/", 1)[-1] for c in recorder.api_calls()] == [
        "Documents",
        "DocumentAttachments",
    ]
    document = sandbox.records(DIVISION, "documents/Documents")[0]
    assert str(document["FinancialTransactionEntryID"]) == made.remote_id
    attachment = sandbox.records(DIVISION, "documents/DocumentAttachments")[0]
    assert attachment["Attachment"] == b"%PDF", "sent base64, stored as the raw bytes"


def test_entry_lines_carry_gl_guids_division_vat_codes_and_your_ref() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    relation_id = customer(backend)
    backend.create_booking(
        booking(), relation_remote_id=relation_id, project_numbers={}, reference="F2026-001"
    )
    sent = [c for c in recorder.api_calls() if c.method == "POST"][-1].body
    gl = {acc.code: acc.remote_id for acc in backend.reference_data().ledger_accounts}
    assert sent["YourRef"] == "F2026-001"
    assert sent["Journal"] == "70", "the division's first sales journal"
    assert [(line["GLAccount"], line["VATCode"]) for line in sent["SalesEntryLines"]] == [
        (gl["8000"], "02"),
        (gl["8000"], "01"),
    ]
    entry = entries(sandbox)[0]
    assert entry["AmountFC"] == Decimal("157.33")  # 100 + 21.00 + 33.33 + 3.00


def test_a_credit_note_is_sent_with_negative_amounts() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    relation_id = customer(backend)
    credit = booking("C2026-001", BookingKind.SALES_CREDIT_NOTE)
    backend.create_booking(
        credit, relation_remote_id=relation_id, project_numbers={}, reference="C2026-001"
    )
    entry = entries(sandbox)[0]
    assert entry["Type"] == 21, "Exact makes a negative entry a credit note"
    assert entry["AmountFC"] == Decimal("-157.33")
    found = backend.find_booking(BookingKind.SALES_CREDIT_NOTE, "C2026-001")
    assert found is not None
    assert [line.amount for line in found.data.lines] == [Decimal("100.00"), Decimal("33.33")]
    assert backend.find_booking(BookingKind.SALES_INVOICE, "C2026-001") is None
    items = {i.data.invoice_number: i.data for i in backend.read_open_items().records}
    assert items["C2026-001"].amount == Decimal("-157.33"), "credit notes are negative"


def test_vat_codes_come_from_the_division_not_from_constants() -> None:
    sandbox, _ = new_sandbox()
    sandbox.add_division(7654321, "Belgische BV", seed_defaults=False)
    for code, pct in (("8000", "W"), ("1600", "B")):
        sandbox.seed(7654321, "financial/GLAccounts", Code=code, Description=code, BalanceType=pct)
    sandbox.seed(7654321, "financial/Journals", Code="VK", Description="Verkoop", Type=20)
    for code, description, rate in (
        ("A", "TVA 21%", "0.21"),
        ("B", "TVA 12%", "0.12"),
        ("C", "TVA 6%", "0.06"),
        ("D", "Intracommunautaire levering", "0"),
    ):
        sandbox.seed(
            7654321,
            "vat/VATCodes",
            Code=code,
            Description=description,
            Percentage=Decimal(rate),
            Type="E",
            EUSalesListing="L" if code == "D" else None,
        )
    backend, recorder = recorded_backend(sandbox, division=7654321)
    categories = {v.code: v.category for v in backend.reference_data().vat_codes}
    assert categories == {
        "A": VatCategory.HIGH,
        "B": VatCategory.INTERMEDIATE,
        "C": VatCategory.LOW,
        "D": VatCategory.EU_GOODS,
    }
    relation_id = customer(backend)
    backend.create_booking(
        booking(), relation_remote_id=relation_id, project_numbers={}, reference="F1"
    )
    sent = [c for c in recorder.api_calls() if c.method == "POST"][-1].body
    assert sent["Journal"] == "VK"
    assert [line["VATCode"] for line in sent["SalesEntryLines"]] == ["A", "C"]


def test_a_host_override_picks_another_vat_code() -> None:
    sandbox, _ = new_sandbox()
    settings = ExactSettings(vat_codes={VatCategory.LOW: "03"}, sales_journal="70")
    backend, recorder = recorded_backend(sandbox, settings=settings)
    relation_id = customer(backend)
    backend.create_booking(
        booking(), relation_remote_id=relation_id, project_numbers={}, reference="F1"
    )
    sent = [c for c in recorder.api_calls() if c.method == "POST"][-1].body
    assert [line["VATCode"] for line in sent["SalesEntryLines"]] == ["02", "03"]


def test_categorise_reads_what_a_code_is() -> None:
    rows: list[dict[str, object]] = [
        {"Code": "1  ", "Percentage": 0.21, "Type": "E"},
        {"Code": "2  ", "Percentage": 0.09, "Type": "E"},
        {"Code": "3  ", "Percentage": 0, "Type": "B", "Description": "BTW verlegd"},
        {"Code": "4  ", "Percentage": 0, "Type": "B", "Description": "Export buiten de EU"},
        {"Code": "5  ", "Percentage": 0, "Type": "N", "Description": "Vrijgesteld"},
        {"Code": "6  ", "Percentage": 0, "Type": "B", "Description": "0%"},
    ]
    assert categorise_vat_codes(rows) == {
        "1": VatCategory.HIGH,
        "2": VatCategory.LOW,
        "3": VatCategory.REVERSE_CHARGE,
        "4": VatCategory.NON_EU,
        "5": VatCategory.EXEMPT,
        "6": VatCategory.ZERO,
    }


def test_per_line_vat_is_adjusted_to_finlinks_per_category_rounding() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    relation_id = customer(backend)

    def lines(amount: str) -> tuple[BookingLine, ...]:
        line = BookingLine(
            ledger_account="8000", amount=Decimal(amount), vat_category=VatCategory.HIGH
        )
        return (line, line, line)

    even = booking("F1", lines=lines("0.10"))  # 3 x 0.02 = 0.06 = 21 % of 0.30: Exact agrees
    backend.create_booking(even, relation_remote_id=relation_id, project_numbers={}, reference="F1")
    sent = [c for c in recorder.api_calls() if c.method == "POST"][-1].body
    assert all("VATAmountFC" not in line for line in sent["SalesEntryLines"])
    odd = booking("F2", lines=lines("0.02"))  # 3 x 0.00 per line, but 21 % of 0.06 = 0.01
    backend.create_booking(odd, relation_remote_id=relation_id, project_numbers={}, reference="F2")
    sent = [c for c in recorder.api_calls() if c.method == "POST"][-1].body
    assert [line["VATAmountFC"] for line in sent["SalesEntryLines"]] == [0.0, 0.0, 0.01]
    booked = {e["YourRef"]: e["AmountFC"] for e in entries(sandbox)}
    assert booked == {"F1": even.totals().incl_vat, "F2": odd.totals().incl_vat}
    assert booked["F2"] == Decimal("0.07")


def test_unknown_ledger_and_missing_cost_centre_are_refused_before_sending() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    relation_id = customer(backend)
    bad = booking(
        lines=(
            BookingLine(ledger_account="9999", amount=Decimal(1), vat_category=VatCategory.HIGH),
            BookingLine(
                ledger_account="8000",
                amount=Decimal(1),
                vat_category=VatCategory.HIGH,
                project_id="p-1",
            ),
        )
    )
    backend.reference_data()
    recorder.clear()
    with pytest.raises(ValidationError) as caught:
        backend.create_booking(
            bad, relation_remote_id=relation_id, project_numbers={}, reference="X"
        )
    assert {(p.path, p.rule) for p in caught.value.problems} == {
        ("lines[0].ledger_account", "unknown_ledger_account"),
        ("lines[1].project_id", "cost_centre"),
    }
    assert recorder.api_calls() == []


def test_a_lost_booking_response_is_found_and_a_second_post_is_refused() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    relation_id = customer(backend)
    sandbox.faults.drop_response(method="POST", path="salesentry/SalesEntries")
    with pytest.raises(OutcomeUnknownError):
        backend.create_booking(
            booking(), relation_remote_id=relation_id, project_numbers={}, reference="F2026-001"
        )
    found = backend.find_booking(BookingKind.SALES_INVOICE, "F2026-001")
    assert found is not None
    assert found.data.invoice_number == "F2026-001"
    assert [line.ledger_account for line in found.data.lines] == ["8000", "8000"]
    assert [line.vat_category for line in found.data.lines] == [VatCategory.HIGH, VatCategory.LOW]
    with pytest.raises(RemoteValidationError):  # the deterministic EntryID exists already
        backend.create_booking(
            booking(), relation_remote_id=relation_id, project_numbers={}, reference="F2026-001"
        )
    assert len(entries(sandbox)) == 1, "no duplicate entry"


def test_an_attachment_over_10_mb_is_refused_before_sending() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    recorder.clear()
    big = Attachment(file_name="big.pdf", content=b"0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError, match="10 MB"):
        backend.attach_document("00000000-0000-0000-0000-000000000001", big)
    assert recorder.api_calls() == []


def test_cost_centre_codes_longer_than_8_are_refused() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    recorder.clear()
    with pytest.raises(ValidationError) as caught:
        backend.create_project(Project(id="p", number="123456789", description="Te lang"))
    assert [(p.path, p.rule) for p in caught.value.problems] == [("number", "max_length")]
    assert "at most 8" in str(caught.value)
    assert recorder.api_calls() == []


def test_partial_and_full_payments_and_the_open_item_cursor() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    relation_id = customer(backend)
    made = backend.create_booking(
        booking(), relation_remote_id=relation_id, project_numbers={}, reference="F2026-001"
    )
    first = backend.read_open_items()
    [item] = [r.data for r in first.records]
    assert (item.amount, item.open_amount, item.kind) == (
        Decimal("157.33"),
        Decimal("157.33"),
        OpenItemKind.RECEIVABLE,
    )
    assert item.due_date == date(2026, 4, 1)
    sandbox.record_payment(DIVISION, made.remote_id, Decimal("36.33"))
    partial = backend.read_open_items(first.cursor)
    assert [r.data.open_amount for r in partial.records] == [Decimal("121.00")]
    unchanged = backend.read_open_items(partial.cursor)
    assert unchanged.records == (), "an unchanged item is not reported again"
    sandbox.record_payment(DIVISION, made.remote_id, Decimal("121.00"))
    paid = backend.read_open_items(unchanged.cursor)
    assert [(r.data.invoice_number, r.data.open_amount) for r in paid.records] == [
        ("F2026-001", Decimal("0.00"))
    ], "a settled invoice leaves Exact's list and is reported once as paid"
    assert backend.read_open_items(paid.cursor).records == ()
    mine = backend.read_open_items(relation_remote_id=relation_id)
    assert mine.records == ()


def test_payables_and_project_costs_by_cost_centre() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    supplier = customer(backend, 2, supplier=True)
    project = Project(id="p-1", number="P100", description="Verbouwing")
    backend.create_project(project)
    purchase = booking("INK-1", BookingKind.PURCHASE_INVOICE, project_id="p-1")
    backend.create_booking(
        purchase, relation_remote_id=supplier, project_numbers={"p-1": "P100"}, reference="INK-1"
    )
    costs = backend.read_project_costs("P100")
    assert [(c.amount, c.ledger_account, c.invoice_number) for c in costs] == [
        (Decimal("100.00"), "4000", "INK-1")
    ]
    assert backend.read_project_costs("P100", since=date(2026, 4, 1)) == []
    items = [r.data for r in backend.read_open_items().records]
    assert [(i.kind, i.invoice_number) for i in items] == [(OpenItemKind.PAYABLE, "INK-1")]
