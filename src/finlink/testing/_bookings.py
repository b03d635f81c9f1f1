"""Projects, bookings and a tiny PDF for the dataset generator (re-exported there)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from finlink.model.booking import Attachment, Booking, BookingLine, Project
from finlink.model.enums import BookingKind, VatCategory
from finlink.model.relation import Relation
from finlink.testing import _vocabulary as voc

__all__ = ["bookings", "projects", "tiny_pdf"]


def _rng(seed: int) -> random.Random:
    # Test data, not secrets: a seeded, reproducible generator is the point.
    return random.Random(seed)  # noqa: S311


def projects(n: int, *, seed: int = 0) -> tuple[Project, ...]:
    """``n`` projects whose numbers suit both Exact (≤ 8 characters) and SnelStart (a number)."""
    rng = _rng(seed)
    words = ("Renovatie", "Nieuwbouw", "Onderhoud", "Advies", "Implementatie", "Verbouwing")
    return tuple(
        Project(
            id=f"prj-{i:05d}",
            number=str(2026000 + i),
            description=f"{rng.choice(words)} {rng.choice(voc.FANTASY_WORDS)}",
            active=rng.random() < 0.9,
        )
        for i in range(1, n + 1)
    )


def tiny_pdf(text: str = "finlink test invoice") -> bytes:
    """A minimal but valid one-page PDF (correct cross-reference offsets) showing ``text``."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


_Accounts = tuple[tuple[str, VatCategory], ...]
_SALES_ACCOUNTS: _Accounts = (
    ("8000", VatCategory.HIGH),
    ("8010", VatCategory.LOW),
    ("8300", VatCategory.ZERO),
)
_PURCHASE_ACCOUNTS: _Accounts = (
    ("4000", VatCategory.HIGH),
    ("7000", VatCategory.HIGH),
    ("4500", VatCategory.LOW),
    ("4600", VatCategory.EXEMPT),
    ("7100", VatCategory.REVERSE_CHARGE),
)


def bookings(
    relations: Sequence[Relation],
    n: int,
    *,
    projects: Sequence[Project] = (),
    seed: int = 0,
    attachment_share: float = 0.3,
) -> tuple[Booking, ...]:
    """``n`` sales and purchase invoices and credit notes for the given relations.

    Each has 1-5 lines on ledger accounts with a VAT category, some booked on a project's cost
    centre, and (for ``attachment_share`` of them) a tiny valid PDF. Sales go to customers,
    purchases to suppliers; credit notes carry positive amounts, as the model requires.

    Raises:
        ValueError: ``relations`` is empty.
    """
    if not relations:
        raise ValueError("bookings need at least one relation")
    rng = _rng(seed)
    result = []
    for i in range(1, n + 1):
        relation = rng.choice(relations)
        sales = relation.is_customer and (not relation.is_supplier or rng.random() < 0.5)
        credit = rng.random() < 0.1
        if sales:
            kind = BookingKind.SALES_CREDIT_NOTE if credit else BookingKind.SALES_INVOICE
            accounts = _SALES_ACCOUNTS
            number = f"{'C' if credit else 'F'}2026-{i:05d}"
        else:
            kind = BookingKind.PURCHASE_CREDIT_NOTE if credit else BookingKind.PURCHASE_INVOICE
            accounts = _PURCHASE_ACCOUNTS
            number = f"INK-{rng.randrange(10**6):06d}"
        lines = []
        for _ in range(rng.randint(1, 5)):
            account, category = rng.choice(accounts)
            project = rng.choice(projects) if projects and rng.random() < 0.3 else None
            lines.append(
                BookingLine(
                    description=rng.choice(("Werkzaamheden", "Materiaal", "Advies", "Huur")),
                    ledger_account=account,
                    amount=Decimal(rng.randrange(100, 500_000)) / 100,
                    vat_category=category,
                    project_id=project.id if project else None,
                )
            )
        invoice_date = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        term = relation.payment_term_days if relation.payment_term_days is not None else 30
        result.append(
            Booking(
                id=f"bkg-{i:06d}",
                kind=kind,
                relation_id=relation.id,
                invoice_number=number,
                invoice_date=invoice_date,
                payment_term_days=term,
                description=f"{kind.value.replace('_', ' ')} {number}",
                lines=tuple(lines),
                attachment=(
                    Attachment(file_name=f"{number}.pdf", content=tiny_pdf(number))
                    if rng.random() < attachment_share
                    else None
                ),
            )
        )
    return tuple(result)
