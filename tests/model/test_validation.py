"""Business-rule validation: every problem at once, each with its path and rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest

import finlink
from finlink import (
    Address,
    Attachment,
    BookingKind,
    Contact,
    Project,
    RelationRole,
    ValidationError,
    VatCategory,
)
from tests.model.factories import VALID_BE_VAT, booking, line, relation


def test_a_valid_relation_has_no_problems() -> None:
    assert finlink.check(relation()) == ()
    assert finlink.validate(relation()) == relation()


def test_five_bad_fields_give_one_error_naming_all_five_paths_and_rules() -> None:
    bad = relation(
        email="info@",
        vat_number="NL004495446B01",
        iban="NL91ABNA0417164301",
        coc_number="1234",
        contacts=(Contact(id="c-1", first_name="Jan", email="jan at example"),),
    )
    with pytest.raises(ValidationError) as caught:
        finlink.validate(bad)
    error = caught.value
    assert [(p.path, p.rule) for p in error.problems] == [
        ("email", "email_format"),
        ("vat_number", "vat_number"),
        ("coc_number", "coc_number"),
        ("iban", "iban"),
        ("contacts[0].email", "email_format"),
    ]
    text = str(error)
    assert text.startswith("relation 'crm-1' is invalid (5 problems):")
    for path in error.paths:
        assert f"  - {path}: " in text


def test_validation_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="email"):
        finlink.validate(relation(email="nope"))


def test_required_fields_may_not_be_blank() -> None:
    problems = finlink.check(relation(id=" ", name="", roles=frozenset()))
    assert [(p.path, p.rule) for p in problems] == [
        ("id", "required"),
        ("name", "required"),
        ("roles", "required"),
    ]


def test_blank_optional_values_are_refused_in_favour_of_none() -> None:
    problems = finlink.check(relation(email="  ", number=""))
    assert {(p.path, p.rule) for p in problems} == {("email", "blank"), ("number", "blank")}


def test_address_problems_carry_the_address_path() -> None:
    problems = finlink.check(
        relation(
            visiting_address=Address(line1="", postcode="1234 SS", city="Utrecht", country="NL"),
            postal_address=Address(line1="Postbus 1", city="", country="XX"),
        )
    )
    assert [(p.path, p.rule) for p in problems] == [
        ("visiting_address.line1", "required"),
        ("visiting_address.postcode", "postcode"),
        ("postal_address.city", "required"),
        ("postal_address.country", "country_code"),
    ]


def test_belgian_relation_checks_the_enterprise_number() -> None:
    belgian = relation(
        visiting_address=Address(
            line1="Rue Haute 1", postcode="1000", city="Brussel", country="BE"
        ),
        vat_number=VALID_BE_VAT,
        coc_number="0403.170.701",
    )
    assert finlink.check(belgian) == ()
    assert finlink.check(attrs.evolve(belgian, coc_number="12345678"))[0].path == "coc_number"


def test_contact_rules_name_the_contact_index() -> None:
    problems = finlink.check(
        relation(
            contacts=(
                Contact(id="a", first_name="Jan", is_primary=True),
                Contact(id="a", phone="12", is_primary=True),
            )
        )
    )
    assert [(p.path, p.rule) for p in problems] == [
        ("contacts[1].id", "unique"),
        ("contacts[1].last_name", "name_required"),
        ("contacts[1].phone", "phone_format"),
        ("contacts", "one_primary"),
    ]


def test_payment_term_must_be_plausible() -> None:
    problems = finlink.check(relation(payment_term_days=-1))
    assert [(p.path, p.rule) for p in problems] == [("payment_term_days", "range")]
    assert finlink.check(relation(payment_term_days=731))[0].rule == "range"


def test_currency_language_and_website_are_checked() -> None:
    problems = finlink.check(relation(currency="EURO", language="dutch", website="not a site"))
    assert {p.path for p in problems} == {"currency", "language", "website"}


def test_extra_fields_must_be_scalars() -> None:
    problems = finlink.check(relation(extra={"segment": "retail", "bad": ["x"], 3: "y"}))
    assert {(p.path, p.rule) for p in problems} == {("extra.bad", "type"), ("extra", "type")}


def test_supplier_only_relation_is_valid() -> None:
    assert finlink.check(relation(roles=frozenset({RelationRole.SUPPLIER}))) == ()


def test_project_rules() -> None:
    assert finlink.check(Project(id="p1", number="P-001", description="Renovatie")) == ()
    problems = finlink.check(Project(id="", number=" P1", description=" "))
    assert [(p.path, p.rule) for p in problems] == [
        ("id", "required"),
        ("number", "whitespace"),
        ("description", "required"),
    ]
    with pytest.raises(ValidationError, match="project ''"):
        finlink.validate(Project(id="", number="1", description="x"))


def test_a_valid_booking_has_no_problems() -> None:
    assert finlink.check(booking()) == ()


def test_booking_needs_lines() -> None:
    problems = finlink.check(booking(lines=()))
    assert [(p.path, p.rule) for p in problems] == [("lines", "required")]


def test_booking_line_problems_name_the_line() -> None:
    problems = finlink.check(
        booking(
            line("10.005"),
            line("5.00", VatCategory.ZERO, vat_amount=Decimal("1.00")),
            line("5.00", VatCategory.HIGH, vat_amount=Decimal("-1.05")),
            line("5.00", VatCategory.HIGH, vat_amount=Decimal("1.055")),
            line("5.00", ledger_account=" ", project_id=""),
        )
    )
    assert [(p.path, p.rule) for p in problems] == [
        ("lines[0].amount", "cents"),
        ("lines[1].vat_amount", "vat_zero_rated"),
        ("lines[2].vat_amount", "vat_sign"),
        ("lines[3].vat_amount", "cents"),
        ("lines[4].ledger_account", "required"),
        ("lines[4].project_id", "blank"),
    ]


def test_amounts_with_trailing_zeros_are_whole_cents() -> None:
    assert finlink.check(booking(line("10.500"))) == ()


def test_category_without_a_rate_in_the_table_is_reported() -> None:
    problems = finlink.check(booking(line("10.00", VatCategory.INTERMEDIATE)))
    assert [(p.path, p.rule) for p in problems] == [("lines[0].vat_category", "vat_rate_unknown")]
    assert (
        finlink.check(
            booking(line("10.00", VatCategory.INTERMEDIATE)), rates=finlink.BELGIAN_VAT_RATES
        )
        == ()
    )


def test_due_date_before_invoice_date_is_refused() -> None:
    problems = finlink.check(booking(due_date=date(2026, 2, 1)))
    assert [(p.path, p.rule) for p in problems] == [("due_date", "due_date_order")]


def test_due_date_and_payment_term_must_agree() -> None:
    assert finlink.check(booking(due_date=date(2026, 3, 31), payment_term_days=30)) == ()
    problems = finlink.check(booking(due_date=date(2026, 4, 1), payment_term_days=30))
    assert [(p.path, p.rule) for p in problems] == [("due_date", "due_date_mismatch")]


def test_invoice_with_negative_total_must_be_sent_as_credit_note() -> None:
    problems = finlink.check(booking(line("-10.00")))
    assert [(p.path, p.rule) for p in problems] == [("lines", "sign")]
    assert "sales_credit_note" in problems[0].message


def test_credit_note_amounts_are_positive() -> None:
    credit = booking(line("10.00"), kind=BookingKind.PURCHASE_CREDIT_NOTE)
    assert finlink.check(credit) == ()
    problems = finlink.check(booking(line("-10.00"), kind=BookingKind.SALES_CREDIT_NOTE))
    assert problems[0].rule == "sign"
    assert "positive" in problems[0].message


def test_discount_line_inside_a_positive_invoice_is_fine() -> None:
    assert finlink.check(booking(line("100.00"), line("-10.00"))) == ()


def test_attachment_rules() -> None:
    problems = finlink.check(
        booking(attachment=Attachment(file_name="", media_type="pdf", content=b""))
    )
    assert [(p.path, p.rule) for p in problems] == [
        ("attachment.file_name", "required"),
        ("attachment.media_type", "media_type"),
        ("attachment.content", "required"),
    ]
    not_pdf = booking(attachment=Attachment(file_name="f.pdf", content=b"<html>"))
    assert [p.rule for p in finlink.check(not_pdf)] == ["pdf_signature"]
    pdf = booking(attachment=Attachment(file_name="f.pdf", content=b"%PDF-1.7\n"))
    assert finlink.check(pdf) == ()


def test_booking_currency_is_checked() -> None:
    assert [p.path for p in finlink.check(booking(currency="XYZ"))] == ["currency"]


def test_only_domain_records_can_be_validated() -> None:
    with pytest.raises(TypeError, match="cannot validate a str"):
        finlink.check("relation")  # type: ignore[arg-type]
