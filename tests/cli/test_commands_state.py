"""``finlink status``, ``errors``, ``open-items`` and ``review`` on memory backends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest

from finlink import BookingLine, VatCategory
from tests.cli.conftest import Cli, outcomes_by
from tests.cli.records import crm_relation, invoice

BAD_LINE = BookingLine(
    ledger_account="9999", amount=Decimal("10.00"), vat_category=VatCategory.HIGH
)


def _sync_with_a_refused_booking(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    bookings = cli.write_records("bookings.json", [invoice(1), invoice(2, lines=(BAD_LINE,))])
    assert (
        cli.invoke("sync", "--relations", str(relations), "--bookings", str(bookings)).exit_code
        == 1
    )


def test_status_of_a_clean_store_exits_0_and_lists_every_administration(cli: Cli) -> None:
    status, data = cli.json("status")
    assert status == 0
    assert [a["administration"] for a in data["administrations"]] == ["bv", "stichting"]
    first = data["administrations"][0]
    assert set(first) == {
        "administration",
        "name",
        "outbox_depth",
        "failed",
        "review_open",
        "pending_intents",
        "last_successful_run",
        "warnings",
        "rate_budget",
        "credentials_refused",
    }
    assert first["credentials_refused"] is None
    assert first["rate_budget"] == []  # counted in this process only: not shown
    assert first["name"] == "Demo B.V."
    assert first["last_successful_run"] is None


def test_status_counts_failures_and_exits_1(cli: Cli) -> None:
    _sync_with_a_refused_booking(cli)
    status, data = cli.json("status")
    assert status == 1
    by_name = {a["administration"]: a for a in data["administrations"]}
    assert by_name["bv"]["failed"] == 1
    assert by_name["stichting"]["failed"] == 0
    assert by_name["stichting"]["last_successful_run"] is not None


def test_status_text_is_a_table(cli: Cli) -> None:
    result = cli.invoke("status")
    assert result.exit_code == 0
    assert "administration" in result.stdout
    assert "stichting" in result.stdout
    assert "never" in result.stdout


def test_errors_names_record_administration_field_vendor_code_and_attempts(cli: Cli) -> None:
    _sync_with_a_refused_booking(cli)
    status, data = cli.json("errors")
    assert status == 1
    (entry,) = data["errors"]
    assert entry["administration"] == "bv"
    assert (entry["entity"], entry["crm_key"]) == ("booking", "inv-2")
    assert entry["field"] == "lines[0].ledger_account"
    assert entry["vendor_code"] == "MEM-LEDGER"
    assert entry["attempts"] == 1
    assert entry["retriable"] is False
    assert "ledger account '9999' does not exist" in entry["message"]


def test_errors_text_and_filters(cli: Cli) -> None:
    _sync_with_a_refused_booking(cli)
    result = cli.invoke("errors")
    assert result.exit_code == 1
    assert "booking inv-2" in result.stdout
    assert "MEM-LEDGER" in result.stdout
    assert "lines[0].ledger_account" in result.stdout
    assert cli.invoke("errors", "-a", "stichting").exit_code == 0
    assert cli.invoke("errors", "--entity", "relation").exit_code == 0


def test_errors_in_plain_dutch_or_english(cli: Cli) -> None:
    _sync_with_a_refused_booking(cli)
    status, data = cli.json("errors", "--language", "nl")
    assert status == 1
    (entry,) = data["errors"]
    assert entry["explanation"].startswith("De administratie weigerde het record: ")
    result = cli.invoke("errors", "--language", "en")
    assert "The administration refused the record" in result.stdout


def test_an_empty_error_log_exits_0(cli: Cli) -> None:
    result = cli.invoke("errors")
    assert result.exit_code == 0
    assert "Records that failed: (none)" in result.stdout


def test_open_items_lists_what_is_open_with_crm_keys_and_overdue(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    later = invoice(2, invoice_date=date(2099, 1, 1))
    bookings = cli.write_records("bookings.json", [invoice(1), later])
    assert (
        cli.invoke("sync", "--relations", str(relations), "--bookings", str(bookings)).exit_code
        == 0
    )
    paid_in_part = next(b for b in cli.backend("bv").stored_bookings() if b.crm_key == "F2026-0002")
    cli.backend("bv").record_payment(paid_in_part.remote_id, Decimal("21.00"))
    status, data = cli.json("open-items")
    assert status == 0
    items = sorted(data["open_items"], key=lambda i: i["invoice"])
    assert [(i["administration"], i["relation"], i["invoice"]) for i in items] == [
        ("bv", "crm-0", "F2026-0001"),
        ("bv", "crm-0", "F2026-0002"),
    ]
    assert [(i["amount"], i["open"], i["status"], i["overdue"]) for i in items] == [
        ("121.00", "121.00", "open", True),
        ("121.00", "100.00", "partially_paid", False),
    ]
    assert items[0]["due"] == "2020-03-31"


def test_full_listing_leaves_the_incremental_position_alone(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    bookings = cli.write_records("bookings.json", [invoice(1)])
    cli.invoke("sync", "--relations", str(relations), "--bookings", str(bookings))
    assert len(cli.json("open-items", "--changed")[1]["open_items"]) == 1  # first pull: all
    assert cli.json("open-items", "--changed")[1]["open_items"] == []
    (booking,) = cli.backend("bv").stored_bookings()
    cli.backend("bv").record_payment(booking.remote_id, Decimal("121.00"))
    assert cli.json("open-items")[1]["open_items"] == []  # paid: nothing open any more
    (paid,) = cli.json("open-items", "--changed")[1]["open_items"]  # the payment still shows
    assert (paid["invoice"], paid["status"], paid["open"]) == ("F2026-0001", "paid", "0.00")


def test_open_items_table_has_the_documented_columns(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    bookings = cli.write_records("bookings.json", [invoice(1)])
    cli.invoke("sync", "--relations", str(relations), "--bookings", str(bookings))
    result = cli.invoke("open-items")
    header = result.stdout.splitlines()[2]
    for column in (
        "administration",
        "relation",
        "invoice",
        "due",
        "amount",
        "open",
        "status",
        "overdue",
    ):
        assert column in header
    assert "EUR 121.00" in result.stdout


# -- review ----------------------------------------------------------------------------------


def _ambiguous(cli: Cli) -> tuple[str, str]:
    """Two look-alike relations in ``bv``; syncing crm-0 there needs a person."""
    twin = crm_relation(0, coc_number=None, email=None, contacts=())
    first = cli.backend("bv").add_existing_relation(attrs.evolve(twin, id="a"))
    second = cli.backend("bv").add_existing_relation(attrs.evolve(twin, id="b"))
    relations = cli.write_records("relations.json", [crm_relation(0, coc_number=None)])
    result = cli.invoke("sync", "--relations", str(relations))
    assert result.exit_code == 1
    assert "waiting for review" in result.stdout
    return first, second


def test_review_lists_the_ambiguous_match_with_its_candidates(cli: Cli) -> None:
    first, second = _ambiguous(cli)
    status, data = cli.json("review")
    assert status == 1
    (item,) = data["reviews"]
    assert (item["administration"], item["entity"], item["crm_key"]) == ("bv", "relation", "crm-0")
    assert {c["remote_id"] for c in item["candidates"]} >= {first, second}
    text = cli.invoke("review", "list").stdout
    assert "relation crm-0" in text
    assert first in text


def test_review_resolve_link_and_the_next_sync_links_and_updates_that_record(cli: Cli) -> None:
    first, _ = _ambiguous(cli)
    (item,) = cli.json("review")[1]["reviews"]
    status, data = cli.json("review", "resolve", str(item["id"]), "--link", first)
    assert status == 0
    assert (data["review"]["resolution"], data["review"]["remote_id"]) == ("link", first)
    assert cli.json("review")[1]["reviews"] == []
    relations = cli.write_records("relations.json", [crm_relation(0, coc_number=None)])
    assert cli.invoke("sync", "--relations", str(relations)).exit_code == 0
    (link,) = cli.links("bv")
    assert link.remote_id == first
    assert cli.backend("bv").get_relation(first).data.email == "info@firma0.nl"
    assert len(cli.backend("bv").stored_relations()) == 2  # nothing created


def test_review_resolve_create_and_the_next_sync_creates_without_matching(cli: Cli) -> None:
    _ambiguous(cli)
    (item,) = cli.json("review")[1]["reviews"]
    status, data = cli.json("review", "resolve", str(item["id"]), "--create")
    assert status == 0
    assert (data["review"]["resolution"], data["review"]["remote_id"]) == ("create", None)
    relations = cli.write_records("relations.json", [crm_relation(0, coc_number=None)])
    assert cli.invoke("sync", "--relations", str(relations)).exit_code == 0
    assert len(cli.backend("bv").stored_relations()) == 3


def test_review_resolve_dismiss_and_the_next_sync_leaves_the_record_alone(cli: Cli) -> None:
    _ambiguous(cli)
    (item,) = cli.json("review")[1]["reviews"]
    result = cli.invoke("review", "resolve", str(item["id"]), "--dismiss")
    assert result.exit_code == 0
    assert "dismissed" in result.stdout
    assert cli.invoke("review").exit_code == 0
    relations = cli.write_records("relations.json", [crm_relation(0, coc_number=None)])
    status, data = cli.json("sync", "--relations", str(relations))
    assert status == 0
    assert ("bv", "crm-0", "skipped") in outcomes_by(data, "relation")
    assert cli.links("bv") == []
    assert len(cli.backend("bv").stored_relations()) == 2


def test_review_resolve_needs_exactly_one_decision(cli: Cli) -> None:
    _ambiguous(cli)
    (item,) = cli.json("review")[1]["reviews"]
    for args in ([], ["--create", "--dismiss"]):
        result = cli.invoke("review", "resolve", str(item["id"]), *args)
        assert result.exit_code == 2
        assert "exactly one of --link REMOTE_ID, --create, --dismiss" in result.stderr


def test_review_resolve_of_an_unknown_item_exits_1(cli: Cli) -> None:
    result = cli.invoke("review", "resolve", "42", "--create")
    assert result.exit_code == 1
    assert "no review item 42" in result.stderr


def test_review_resolve_refuses_a_remote_record_linked_elsewhere(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(5)])
    cli.invoke("sync", "--relations", str(relations))
    (taken,) = cli.links("bv")
    _ambiguous(cli)
    item = next(i for i in cli.json("review")[1]["reviews"] if i["crm_key"] == "crm-0")
    result = cli.invoke("review", "resolve", str(item["id"]), "--link", taken.remote_id)
    assert result.exit_code == 1
    assert f"{taken.remote_id} in bv is already linked to CRM relation crm-5" in result.stderr
    assert cli.json("review")[1]["reviews"] != []  # still open


def test_table_cells_are_text_not_markup(capsys: pytest.CaptureFixture[str]) -> None:
    from finlink.cli.output import print_table

    print_table("Errors", ["reason"], [["name too long [max_length]"]])
    assert "[max_length]" in capsys.readouterr().out
