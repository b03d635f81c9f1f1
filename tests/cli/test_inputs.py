"""Bad input files: a clear message naming file, place and field; exit 2; nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finlink import Relation, RelationRole
from finlink.cli.inputs import InputError, read_records
from finlink.model.booking import Booking, Project
from tests.cli.conftest import Cli
from tests.cli.records import crm_relation, invoice

RELATIONS_CSV = "".join(
    line + "\n"
    for line in (
        "id,name,roles,email,payment_term_days,coc_number,visiting_address.line1,"
        "visiting_address.postcode,visiting_address.city,visiting_address.country,"
        "contact.first_name,contact.last_name,contact.email,extra.unit",
        "crm-1,Bakkerij De Vries B.V.,customer,info@devries.nl,30,30000001,Hoofdstraat 1,"
        "3511 AB,Utrecht,NL,Jan,de Vries,jan@devries.nl,company",
        "crm-2,Hoveniers Bos,customer;supplier,,14,30000002,,,,,,,,foundation",
    )
)


def test_json_syntax_error_names_the_file_and_line_and_writes_nothing(cli: Cli) -> None:
    good = cli.write_records("relations.json", [crm_relation(0)])
    bad = cli.write("bookings.json", '[\n  {"id": "inv-1",\n   "kind": }\n]\n')
    result = cli.invoke("sync", "--relations", str(good), "--bookings", str(bad))
    assert result.exit_code == 2
    assert f"{bad}, line 3, column" in result.stderr
    assert "bad JSON" in result.stderr
    assert cli.links("bv") == []
    assert cli.backend("bv").stored_relations() == []


def test_wrong_field_type_names_the_item_and_field_path(cli: Cli) -> None:
    data = [json.loads(json.dumps(d)) for d in _relations_json(2)]
    data[1]["payment_term_days"] = "30"
    data[1]["visiting_address"]["city"] = 3
    path = cli.write("relations.json", json.dumps(data))
    result = cli.invoke("sync", "--relations", str(path))
    assert result.exit_code == 2
    assert f"{path}, item 1, payment_term_days: must be a whole number, not str" in result.stderr
    assert f"{path}, item 1, visiting_address.city: must be text" in result.stderr
    assert cli.links("bv") == []


def test_input_problems_come_as_json_with_every_field(cli: Cli) -> None:
    path = cli.write("relations.json", json.dumps([{"id": "x", "roles": ["customer"]}]))
    result = cli.invoke("sync", "--relations", str(path), "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "input"
    assert error["problems"] == [
        {
            "file": str(path),
            "location": "item 0",
            "field": "name",
            "message": "is required [required]",
        }
    ]


def test_a_json_file_that_is_not_a_list_is_refused(cli: Cli) -> None:
    path = cli.write("relations.json", '{"id": "x"}')
    result = cli.invoke("plan", "--relations", str(path))
    assert result.exit_code == 2
    assert "must hold a JSON list of objects" in result.stderr


def test_a_missing_input_file_is_an_input_error(cli: Cli, tmp_path: Path) -> None:
    result = cli.invoke("sync", "--relations", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "nope.json" in result.stderr


def test_csv_relations_are_read_with_address_contact_roles_and_extra(tmp_path: Path) -> None:
    path = tmp_path / "relations.csv"
    path.write_text(RELATIONS_CSV, encoding="utf-8")
    first, second = read_records(path, Relation)
    assert first.visiting_address is not None
    assert first.visiting_address.postcode == "3511 AB"
    assert first.payment_term_days == 30
    (contact,) = first.contacts
    assert (contact.first_name, contact.email, contact.is_primary) == (
        "Jan",
        "jan@devries.nl",
        True,
    )
    assert first.extra == {"unit": "company"}
    assert second.roles == frozenset({RelationRole.CUSTOMER, RelationRole.SUPPLIER})
    assert second.visiting_address is None
    assert second.email is None
    assert second.contacts == ()


def test_csv_bad_rows_are_reported_with_their_line_and_column(cli: Cli) -> None:
    text = RELATIONS_CSV + "crm-3,,customer,,thirty,,,,,,,,,\ncrm-4,Smit,client,,,,,,,,,,,\n"
    path = cli.write("relations.csv", text)
    result = cli.invoke("sync", "--relations", str(path))
    assert result.exit_code == 2
    assert f"{path}, line 4, payment_term_days: must be a whole number, not 'thirty'" in (
        result.stderr
    )
    assert f"{path}, line 5, roles:" in result.stderr
    assert cli.links("bv") == []


def test_csv_missing_required_field_names_the_column(tmp_path: Path) -> None:
    path = tmp_path / "relations.csv"
    path.write_text("id,name,roles\ncrm-1,,customer\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_records(path, Relation)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}, line 2, name: is required [required]"
    ]


def test_csv_with_an_unknown_column_is_refused_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "projects.csv"
    path.write_text("id,number,omschrijving\nprj-1,P1,x\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_records(path, Project)
    (problem,) = caught.value.problems
    assert problem.location == "line 1"
    assert "unknown column(s) omschrijving" in problem.message


def test_csv_projects_are_read(tmp_path: Path) -> None:
    path = tmp_path / "projects.csv"
    path.write_text("id,number,description,active\nprj-1,P001,Verbouwing,no\n", encoding="utf-8")
    (read,) = read_records(path, Project)
    assert read == Project(id="prj-1", number="P001", description="Verbouwing", active=False)


def test_bookings_are_json_only(cli: Cli) -> None:
    path = cli.write("bookings.csv", "id\ninv-1\n")
    result = cli.invoke("sync", "--bookings", str(path))
    assert result.exit_code == 2
    assert "bookings are read from JSON only" in result.stderr


def test_json_bookings_round_trip(cli: Cli) -> None:
    path = cli.write_records("bookings.json", [invoice(1)])
    assert read_records(path, Booking) == [invoice(1)]


def test_csv_relations_sync_end_to_end(cli: Cli) -> None:
    path = cli.write("relations.csv", RELATIONS_CSV)
    result = cli.invoke("sync", "--relations", str(path))
    assert result.exit_code == 0, result.output
    assert [link.crm_key for link in cli.links("bv")] == ["crm-1", "crm-2"]


def _relations_json(count: int) -> list[dict[str, object]]:
    from finlink.serialization import to_dict

    return [to_dict(crm_relation(i)) for i in range(count)]


def test_csv_cells_may_hold_quoted_commas_and_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "relations.csv"
    path.write_text(
        "id, name ,roles,visiting_address.line1,visiting_address.line2,visiting_address.city,"
        "visiting_address.country\r\n"
        'crm-1,"Jansen, Smit & Co",customer,Hoofdstraat 1,"Gebouw B\r\nDerde verdieping",'
        "Utrecht,NL\r\n"
        "crm-2,,customer,,,,\r\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_records(path, Relation)
    # The quoted line break makes crm-2 the fourth line of the file.
    assert [(p.location, p.field) for p in caught.value.problems] == [("line 4", "name")]
    path.write_text(path.read_text(encoding="utf-8").rsplit("crm-2", 1)[0], encoding="utf-8")
    (relation,) = read_records(path, Relation)
    assert relation.name == "Jansen, Smit & Co"
    assert relation.visiting_address is not None
    assert relation.visiting_address.line2 == "Gebouw B\nDerde verdieping"
