"""Relations and contacts against ExactSandbox: Exact's quirks, one by one."""

from __future__ import annotations

import attrs
import pytest

from finlink import OutcomeUnknownError, RelationRole, ValidationError
from finlink.backends import RelationKeys
from finlink.backends.exact import ExactSettings, search_code
from finlink.model.relation import Address, Contact, Relation
from tests.backends.exact.support import DIVISION, new_sandbox, recorded_backend

BOTH = frozenset(RelationRole)


def relation(n: int = 1, **changes: object) -> Relation:
    base = Relation(
        id=f"crm-{n}",
        name=f"Bakkerij {n} B.V.",
        roles=frozenset({RelationRole.CUSTOMER}),
        visiting_address=Address(
            line1="Hoofdstraat 1", postcode="3511AB", city="Utrecht", country="nl"
        ),
        email=f"info{n}@example.nl",
        phone="030 123 4567",
        vat_number="nl004495445b01",
        coc_number="12345678",
        iban="NL91 ABNA 0417 1643 00",
        payment_term_days=14,
        language="nl",
    )
    return attrs.evolve(base, **changes)  # type: ignore[arg-type]


def test_account_code_is_padded_on_write_and_in_filters_and_trimmed_on_read() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    made = backend.create_relation(relation(number="42"), reference="crm-1")
    stored = sandbox.record(DIVISION, "crm/Accounts", made.remote_id)
    assert stored["Code"] == " " * 16 + "42", "Exact keeps Code right-aligned in 18 characters"
    recorder.clear()
    found = backend.find_relations(RelationKeys(code="42"))
    assert [r.remote_id for r in found] == [made.remote_id]
    assert "Code eq '                42'" in recorder.api_calls()[0].params["$filter"]
    assert found[0].data.number == "42"
    assert found[0].data.address is not None
    assert found[0].data.address.country == "NL", "Country comes back as 'NL ' and is trimmed"
    assert found[0].data.language == "nl", "Language comes back padded to 10 and is trimmed"


def test_a_non_numeric_relation_number_is_refused_before_sending() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    recorder.clear()
    with pytest.raises(ValidationError) as caught:
        backend.create_relation(relation(number="D-42", name="x" * 51), reference="crm-1")
    problems = {(p.path, p.rule) for p in caught.value.problems}
    assert problems == {("number", "digits"), ("name", "max_length")}
    assert "50" in str(caught.value)
    assert recorder.api_calls() == [], "nothing is sent"


def test_every_accounts_read_satisfies_mandatory_filtering() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    made = backend.create_relation(relation(), reference="crm-1")
    # Exact refuses crm/Accounts without a filter (§4.4): the sandbox does too.
    http = sandbox.client(token=backend.auth.tokens().access_token.reveal())
    assert http.get(f"/api/v1/{DIVISION}/crm/Accounts").status_code == 400
    recorder.clear()
    backend.find_relations(RelationKeys(reference="crm-1", vat_number="NL004495445B01"))
    backend.get_relation(made.remote_id)
    backend.read_relations()
    for call in recorder.api_calls():
        if call.path.endswith("/crm/Accounts"):
            assert "$filter" in call.params, f"unfiltered GET {call.path}"
    assert all(c.status == 200 for c in recorder.api_calls())


def test_the_reference_is_found_with_one_call() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    made = backend.create_relation(relation(), reference="crm-1")
    assert sandbox.record(DIVISION, "crm/Accounts", made.remote_id)["SearchCode"] == "crm-1    "
    recorder.clear()
    found = backend.find_relations(RelationKeys(reference="crm-1"))
    assert len(recorder.api_calls()) == 1
    assert [(r.remote_id, r.crm_key) for r in found] == [(made.remote_id, "crm-1")]


def test_a_long_reference_is_digested_into_the_search_code_and_still_found() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    key = "7f1b2c3d-0000-4000-8000-123456789abc"
    made = backend.create_relation(relation(id=key), reference=key)
    code = sandbox.record(DIVISION, "crm/Accounts", made.remote_id)["SearchCode"]
    assert code == search_code(key)
    assert len(code) == 9
    assert code.startswith("~")
    found = backend.find_relations(RelationKeys(reference=key))
    assert [r.remote_id for r in found] == [made.remote_id]
    assert found[0].crm_key is None, "a digest cannot give the key back"
    assert backend.find_relations(RelationKeys(reference=key + "x")) == []


def test_fields_map_to_exact_and_back() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    made = backend.create_relation(relation(roles=BOTH), reference="crm-1")
    row = sandbox.record(DIVISION, "crm/Accounts", made.remote_id)
    assert (row["Status"], row["IsSupplier"]) == ("C", True)
    assert row["VATNumber"] == "NL004495445B01", "VAT numbers are sent normalised"
    assert row["ChamberOfCommerce"] == "12345678"
    assert row["Postcode"] == "3511 AB"
    assert (row["PaymentConditionSales"], row["PaymentConditionPurchase"]) == ("14", "14")
    banks = [b for b in sandbox.records(DIVISION, "crm/BankAccounts") if b["Account"] == row["ID"]]
    assert [b["BankAccount"] for b in banks] == ["NL91ABNA0417164300"]
    back = backend.get_relation(made.remote_id).data
    assert back.roles == BOTH
    assert back.iban == "NL91ABNA0417164300"
    assert back.payment_term_days == 14
    assert back.phone == "030 123 4567"


def test_relation_with_a_contact_and_an_iban_costs_three_calls() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    recorder.clear()
    made = backend.create_relation(relation(), reference="crm-1")
    backend.create_contact(made.remote_id, Contact(id="c1", last_name="Jansen"), reference="c1")
    assert [(c.method, c.path.rsplit("/", 2)[-2:]) for c in recorder.api_calls()] == [
        ("POST", ["crm", "Accounts"]),
        ("POST", ["crm", "BankAccounts"]),
        ("POST", ["crm", "Contacts"]),
    ]


def test_update_sends_only_the_named_fields() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    made = backend.create_relation(relation(), reference="crm-1")
    recorder.clear()
    changed = relation(email="nieuw@example.nl", name="Andere naam B.V.")
    backend.update_relation(made.remote_id, changed, fields=frozenset({"email"}))
    puts = [c for c in recorder.api_calls() if c.method == "PUT"]
    assert [c.body for c in puts] == [{"Email": "nieuw@example.nl"}]
    assert sandbox.record(DIVISION, "crm/Accounts", made.remote_id)["Name"] == "Bakkerij 1 B.V."


def test_an_iban_change_blocks_the_old_bank_account_and_adds_the_new() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    made = backend.create_relation(relation(), reference="crm-1")
    record = backend.update_relation(
        made.remote_id, relation(iban="NL02ABNA0123456789"), fields=frozenset({"iban"})
    )
    assert record.data.iban == "NL02ABNA0123456789"
    banks = {b["BankAccount"]: b["Blocked"] for b in sandbox.records(DIVISION, "crm/BankAccounts")}
    assert banks == {"NL91ABNA0417164300": True, "NL02ABNA0123456789": False}


def test_deactivate_blocks_the_account() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    made = backend.create_relation(relation(), reference="crm-1")
    backend.deactivate_relation(made.remote_id)
    assert sandbox.record(DIVISION, "crm/Accounts", made.remote_id)["Blocked"] is True
    assert not backend.get_relation(made.remote_id).active


def test_incremental_read_with_nothing_changed_is_one_call() -> None:
    sandbox, clock = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    for n in range(3):
        backend.create_relation(relation(n), reference=f"crm-{n}")
    full = backend.read_relations()
    assert full.full
    assert len(full.records) == 3
    recorder.clear()
    clock.advance(60)
    again = backend.read_relations(full.cursor)
    assert (again.records, again.deleted, again.full) == ((), (), False)
    assert len(recorder.api_calls()) == 1
    assert "sync/CRM/Accounts" in recorder.api_calls()[0].path


def test_incremental_read_sees_the_accountants_change_and_deletions() -> None:
    sandbox, clock = new_sandbox()
    settings = ExactSettings()
    backend, _ = recorded_backend(sandbox, settings=settings)
    kept = backend.create_relation(relation(1), reference="crm-1")
    gone = backend.create_relation(relation(2, iban=None), reference="crm-2")
    first = backend.read_relations()
    sandbox.change(DIVISION, "crm/Accounts", kept.remote_id, City="Wageningen")
    http = sandbox.client(token=backend.auth.tokens().access_token.reveal())
    assert (
        http.delete(f"/api/v1/{DIVISION}/crm/Accounts(guid'{gone.remote_id}')").status_code == 204
    )
    soon = backend.read_relations(first.cursor)
    assert [r.remote_id for r in soon.records] == [kept.remote_id]
    assert soon.records[0].data.address is not None
    assert soon.records[0].data.address.city == "Wageningen"
    assert soon.records[0].data.iban == "NL91ABNA0417164300", "the IBAN is read with the change"
    assert soon.deleted == (), "deletions are checked at most every deleted_interval"
    clock.advance(settings.deleted_interval.total_seconds())
    later = backend.read_relations(soon.cursor)
    assert later.deleted == (gone.remote_id,)
    assert later.records == ()


def test_a_lost_create_response_leaves_one_account_found_by_reference() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    sandbox.faults.drop_response(method="POST", path="crm/Accounts")
    with pytest.raises(OutcomeUnknownError) as caught:
        backend.create_relation(relation(), reference="crm-1")
    assert caught.value.reference == "crm-1"
    # What the engine does next: probe by the reference before writing again.
    found = backend.find_relations(RelationKeys(reference="crm-1"))
    assert len(found) == 1
    assert len(sandbox.records(DIVISION, "crm/Accounts")) == 1, "no duplicate account"


def test_contacts_are_listed_trimmed_and_updated() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    made = backend.create_relation(relation(), reference="crm-1")
    contact = Contact(id="c1", first_name="Jan", last_name="Jansen", email="jan@example.nl")
    created = backend.create_contact(made.remote_id, contact, reference="c1")
    assert created.crm_key == "c1"
    backend.update_contact(
        made.remote_id, created.remote_id, attrs.evolve(contact, job_title="Inkoper")
    )
    listed = backend.list_contacts(made.remote_id)
    assert [(c.data.last_name, c.data.job_title, c.data.is_primary) for c in listed] == [
        ("Jansen", "Inkoper", True)
    ]


def test_a_full_read_that_waited_for_the_limit_is_still_followed_by_one_call_reads() -> None:
    sandbox, clock = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    backend.create_relation(relation(), reference="crm-1")
    other = sandbox.client(token=backend.auth.tokens().access_token.reveal())
    for _ in range(58):  # the minute's budget is (nearly) spent by someone else
        other.get(f"/api/v1/{DIVISION}/financial/Journals")
    before = clock.now()
    full = backend.read_relations()
    assert (clock.now() - before).total_seconds() > 0, "the full read waited for the limit"
    recorder.clear()
    clock.advance(120)
    backend.read_relations(full.cursor)
    assert len(recorder.api_calls()) == 1


def test_a_lost_bank_account_answer_does_not_fail_the_created_account() -> None:
    sandbox, _ = new_sandbox()
    backend, _ = recorded_backend(sandbox)
    sandbox.faults.drop_response(method="POST", path="crm/BankAccounts")
    made = backend.create_relation(relation(), reference="crm-1")
    assert made.data.iban is None, "the record says what is known to be in Exact"
    # The next sync sends the IBAN as an update; the bank account that did land is reused.
    again = backend.update_relation(made.remote_id, relation(), fields=frozenset({"iban"}))
    assert again.data.iban == "NL91ABNA0417164300"
    assert len(sandbox.records(DIVISION, "crm/BankAccounts")) == 1
    assert len(sandbox.records(DIVISION, "crm/Accounts")) == 1
