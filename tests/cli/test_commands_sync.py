"""``finlink plan``, ``sync``, ``retry``, ``resync`` and ``duplicates`` on memory backends."""

from __future__ import annotations

import csv
from decimal import Decimal

import attrs

from finlink import BookingLine, VatCategory
from finlink._errors import AuthenticationError, ServerError
from finlink.backends.faults import FailWith
from tests.cli.conftest import Cli, outcomes_by
from tests.cli.records import crm_relation, invoice, project


def test_plan_lists_creates_and_writes_nothing(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0), crm_relation(1)])
    status, data = cli.json("plan", "--relations", str(relations))
    assert status == 0
    assert data["ok"] is True
    assert data["counts"]["bv"]["create"] == 6  # two relations, four contacts
    assert {op["kind"] for op in data["operations"]} == {"create"}
    assert cli.links("bv") == []
    assert cli.backend("bv").stored_relations() == []


def test_plan_text_summarises_per_administration(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    result = cli.invoke("plan", "--relations", str(relations))
    assert result.exit_code == 0
    assert "bv:" in result.stdout
    assert "relation: 1 create" in result.stdout


def test_plan_exits_1_when_a_record_is_invalid(cli: Cli) -> None:
    bad = crm_relation(1, iban="NL00BANK0000000000")
    relations = cli.write_records("relations.json", [crm_relation(0), bad])
    status, data = cli.json("plan", "--relations", str(relations))
    assert status == 1
    invalid = [op for op in data["operations"] if op["kind"] == "invalid"]
    assert {op["crm_key"] for op in invalid} == {"crm-1"}
    assert invalid[0]["problems"][0]["path"] == "iban"


def test_sync_creates_relations_projects_and_bookings_in_order(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    projects = cli.write_records("projects.json", [project(1)])
    bookings = cli.write_records("bookings.json", [invoice(1)])
    status, data = cli.json(
        "sync",
        "--relations",
        str(relations),
        "--projects",
        str(projects),
        "--bookings",
        str(bookings),
    )
    assert status == 0
    assert data["ok"] is True
    assert outcomes_by(data, "relation") == [
        ("bv", "crm-0", "done"),
        ("stichting", "crm-0", "done"),
    ]
    assert outcomes_by(data, "booking") == [("bv", "inv-1", "done")]
    assert [link.crm_key for link in cli.links("bv")] == ["crm-0"]
    assert len(cli.backend("stichting").stored_relations()) == 1
    assert len(cli.backend("bv").stored_bookings()) == 1


def test_second_sync_of_unchanged_records_writes_nothing(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    assert cli.invoke("sync", "--relations", str(relations)).exit_code == 0
    cli.backend("bv").calls.clear()
    result = cli.invoke("sync", "--relations", str(relations))
    assert result.exit_code == 0
    assert "relation: 1 unchanged" in result.stdout
    assert not any(op.startswith("create") for op in cli.backend("bv").calls)


def test_sync_exits_1_and_names_the_refused_booking(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    line = BookingLine(
        ledger_account="9999", amount=Decimal("10.00"), vat_category=VatCategory.HIGH
    )
    bookings = cli.write_records("bookings.json", [invoice(1), invoice(2, lines=(line,))])
    result = cli.invoke("sync", "--relations", str(relations), "--bookings", str(bookings))
    assert result.exit_code == 1
    assert "booking inv-2 [bv] failed" in result.stdout
    assert "MEM-LEDGER" in result.stdout
    assert len(cli.backend("bv").stored_bookings()) == 1  # the good one still went


def test_sync_exits_2_when_the_administration_refuses_the_credentials(cli: Cli) -> None:
    cli.backend("bv").inject(
        "create_relation", FailWith(AuthenticationError("token refused", status_code=401))
    )
    relations = cli.write_records("relations.json", [crm_relation(0)])
    result = cli.invoke("sync", "--relations", str(relations))
    assert result.exit_code == 2
    assert "token refused" in result.stdout


def test_sync_without_input_files_is_a_usage_error(cli: Cli) -> None:
    result = cli.invoke("sync")
    assert result.exit_code == 2
    assert "give at least one of --relations" in result.stderr


def test_retry_sends_what_failed_for_a_passing_reason(cli: Cli) -> None:
    cli.backend("bv").inject("create_relation", FailWith(ServerError("503", status_code=503)))
    relations = cli.write_records("relations.json", [crm_relation(0)])
    status, data = cli.json("sync", "--relations", str(relations))
    assert status == 1
    assert ("bv", "crm-0", "failed") in outcomes_by(data, "relation")
    status, data = cli.json("retry")
    assert status == 0, data
    assert outcomes_by(data, "relation") == [("bv", "crm-0", "done")]
    assert [link.crm_key for link in cli.links("bv")] == ["crm-0"]


def test_retry_of_one_record_sends_it_now_despite_its_backoff(cli: Cli) -> None:
    cli.backend("bv").inject(
        "create_relation", FailWith(ServerError("503", status_code=503)), times=2
    )
    relations = cli.write_records("relations.json", [crm_relation(0)])
    assert cli.json("sync", "--relations", str(relations))[0] == 1
    assert cli.json("retry")[0] == 1  # the second failure: backing off now
    assert cli.json("retry")[1]["outcomes"] == []  # nothing due yet
    status, data = cli.json("retry", "--record", "bv", "relation", "crm-0")
    assert status == 0, data
    assert outcomes_by(data, "relation") == [("bv", "crm-0", "done")]
    assert cli.json("errors")[1]["errors"] == []


def test_retry_of_a_record_with_nothing_to_send_says_why(cli: Cli) -> None:
    result = cli.invoke("retry", "--record", "bv", "relation", "crm-404")
    assert result.exit_code == 1
    assert "nothing to retry" in result.stderr


def test_retry_with_nothing_waiting_says_so(cli: Cli) -> None:
    result = cli.invoke("retry")
    assert result.exit_code == 0
    assert "Nothing to do." in result.stdout


def test_resync_recreates_a_relation_deleted_in_the_administration(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    assert cli.invoke("sync", "--relations", str(relations)).exit_code == 0
    (link,) = cli.links("bv")
    cli.backend("bv").delete_relation(link.remote_id)
    status, data = cli.json("resync", "bv", "--relations", str(relations))
    assert status == 0, data
    assert ("bv", "crm-0", "done") in outcomes_by(data, "relation")
    assert {o["administration"] for o in data["outcomes"]} == {"bv"}
    (new_link,) = cli.links("bv")
    assert new_link.remote_id != link.remote_id


def test_resync_of_an_unknown_administration_names_the_configured_ones(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    result = cli.invoke("resync", "nope", "--relations", str(relations))
    assert result.exit_code == 2
    assert "configured: bv, stichting" in result.stderr


def test_duplicates_groups_relations_with_the_same_kvk(cli: Cli) -> None:
    twin = attrs.evolve(crm_relation(0), id="crm-9")
    relations = cli.write_records("relations.json", [crm_relation(0), twin, crm_relation(1)])
    status, data = cli.json("duplicates", "--relations", str(relations))
    assert status == 1
    (group,) = data["groups"]
    assert group["record_ids"] == ["crm-0", "crm-9"]
    assert group["outcome"] == "link"


def test_duplicates_exits_0_on_a_clean_file(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0), crm_relation(1)])
    result = cli.invoke("duplicates", "--relations", str(relations))
    assert result.exit_code == 0
    assert "Likely duplicates: (none)" in result.stdout


def test_report_json_keys_are_stable(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    _, data = cli.json("sync", "--relations", str(relations))
    assert set(data) == {"ok", "counts", "outcomes", "inbound"}
    assert set(data["outcomes"][0]) == {
        "administration",
        "entity",
        "crm_key",
        "kind",
        "remote_id",
        "changes",
        "match",
        "conflicts",
        "problems",
        "notes",
        "status",
        "error",
        "retriable",
    }
    assert data["counts"]["bv"] == {"created": 3}
    _, plan = cli.json("plan", "--relations", str(relations))
    assert set(plan) == {"ok", "counts", "operations"}


def test_duplicates_needs_no_configuration(cli: Cli) -> None:
    cli.config.unlink()
    relations = cli.write_records("relations.json", [crm_relation(0), crm_relation(1)])
    assert cli.invoke("duplicates", "--relations", str(relations)).exit_code == 0


def test_plan_writes_the_csv_for_the_accountant(cli: Cli) -> None:
    relations = cli.write_records("relations.json", [crm_relation(0)])
    target = cli.folder / "plan.csv"
    result = cli.invoke("plan", "--relations", str(relations), "--csv", str(target))
    assert result.exit_code == 0
    assert "relation: 1 create" in result.stdout
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a byte-order mark, so Excel reads UTF-8
    with target.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    names = [r for r in rows if r["entity"] == "relation" and r["field"] == "name"]
    assert [(r["administration"], r["kind"], r["new_value"]) for r in names] == [
        ("bv", "create", crm_relation(0).name),
        ("stichting", "create", crm_relation(0).name),
    ]
    assert cli.backend("bv").stored_relations() == []
