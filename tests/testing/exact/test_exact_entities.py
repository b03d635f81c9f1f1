"""Entities, their validation and wire formats: accounts to documents."""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from typing import Any

import httpx
import pytest

from finlink.testing.exact import ExactSandbox
from finlink.testing.exact.entities.documents import ATTACHMENT_LIMIT
from tests.testing.exact.paths import DIVISION, api

REPRESENTATION = {"Prefer": "return=representation"}
DATE = re.compile(r"^/Date\(\d{13}\)/$")


def _post(http: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return http.post(api(path), json=body, headers=REPRESENTATION)


def _error(response: httpx.Response) -> str:
    value: str = response.json()["error"]["message"]["value"]
    return value


def _gl(sandbox: ExactSandbox, code: str) -> str:
    (row,) = [r for r in sandbox.records(DIVISION, "financial/GLAccounts") if r["Code"] == code]
    return str(row["ID"])


# -- accounts -----------------------------------------------------------------------------


def test_account_post_returns_201_with_padded_code_country_and_dates(http: httpx.Client) -> None:
    response = _post(
        http,
        "crm/Accounts",
        {"Name": "Acme B.V.", "Code": "8", "Country": "NL", "Language": "NL", "Status": "C"},
    )
    assert response.status_code == 201
    account = response.json()["d"]
    assert account["Code"] == " " * 17 + "8"
    assert account["Country"] == "NL "
    assert account["Language"] == "NL" + " " * 8
    assert DATE.match(account["Created"])
    assert account["IsSales"] is True
    assert account["Type"] == "A"
    assert account["BankAccounts"] == {
        "__deferred": {"uri": account["__metadata"]["uri"] + "/BankAccounts"}
    }


def test_account_codes_default_to_highest_plus_one_and_must_be_unique(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    sandbox.add_account(DIVISION, "A", Code="41")
    created = _post(http, "crm/Accounts", {"Name": "B"}).json()["d"]
    assert created["Code"] == "42".rjust(18)
    duplicate = _post(http, "crm/Accounts", {"Name": "C", "Code": "42"})
    assert duplicate.status_code == 400
    assert _error(duplicate) == "Code bestaat al: 42"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"City": "Utrecht"}, "Verplicht: Naam"),
        ({"Name": "x" * 51}, "Ongeldig: Name (maximaal 50 tekens)"),
        ({"Name": "x", "AddressLine1": "y" * 81}, "Ongeldig: AddressLine1 (maximaal 80 tekens)"),
        ({"Name": "x", "City": "y" * 31}, "Ongeldig: City (maximaal 30 tekens)"),
        ({"Name": "x", "Code": "1" * 19}, "Ongeldig: Code (maximaal 18 tekens)"),
        ({"Name": "x", "Status": "Q"}, "Ongeldig: Status"),
        ({"Name": "x", "Country": "NLD"}, "Ongeldig: Land"),
        (
            {"Name": "x", "SalesVatCode": "2"},
            "Error processing request stream. The property name 'SalesVatCode' specified for "
            "type 'Exact.Web.Api.Models.Account' is not valid.",
        ),
        (
            {"Name": "x", "Blocked": "maybe"},
            "Error processing request stream. Error encountered in converting the value from "
            "request payload for property 'Blocked' to type 'System.Boolean'.",
        ),
    ],
)
def test_account_validation_errors(http: httpx.Client, body: dict[str, Any], message: str) -> None:
    response = _post(http, "crm/Accounts", body)
    assert response.status_code == 400
    assert _error(response) == message


def test_post_without_prefer_returns_mostly_null_properties(http: httpx.Client) -> None:
    response = http.post(api("crm/Accounts"), json={"Name": "Kaal"})
    assert response.status_code == 201
    account = response.json()["d"]
    assert account["Name"] == "Kaal"
    assert account["ID"]
    assert account["Code"] is None
    assert account["Created"] is None


def test_put_and_delete_answer_204_without_body(sandbox: ExactSandbox, http: httpx.Client) -> None:
    acme = sandbox.add_account(DIVISION, "Acme")
    url = api(f"crm/Accounts(guid'{acme['ID']}')")
    put = http.put(url, json={"Name": "Acme Groep", "Blocked": True})
    assert put.status_code == 204
    assert put.content == b""
    stored = sandbox.record(DIVISION, "crm/Accounts", acme["ID"])
    assert (stored["Name"], stored["Blocked"], stored["Code"]) == ("Acme Groep", True, acme["Code"])
    assert http.put(url, json={"Name": ""}).status_code == 400
    assert http.put(url, content=b"not json").status_code == 400
    assert http.put(api("crm/Accounts"), json={"Name": "x"}).status_code == 400
    assert http.post(url, json={"Name": "x"}).status_code == 400
    delete = http.delete(url)
    assert (delete.status_code, delete.content) == (204, b"")
    assert http.get(url).status_code == 404


def test_read_only_fields_sent_by_the_client_are_ignored(http: httpx.Client) -> None:
    account = _post(http, "crm/Accounts", {"Name": "Acme", "IsSales": True, "Type": "D"}).json()[
        "d"
    ]
    assert account["IsSales"] is False  # Status is not "C"
    assert account["Type"] == "A"


def test_accounts_with_bookings_cannot_be_deleted(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    customer = sandbox.add_account(DIVISION, "Klant")
    sandbox.seed(
        DIVISION,
        "salesentry/SalesEntries",
        Customer=customer["ID"],
        Journal="70",
        SalesEntryLines=[{"GLAccount": _gl(sandbox, "8000"), "AmountFC": 10}],
    )
    response = http.delete(api(f"crm/Accounts(guid'{customer['ID']}')"))
    assert response.status_code == 400


# -- contacts and bank accounts ----------------------------------------------------------


def test_contacts_need_an_account_and_a_first_or_last_name(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    acme = sandbox.add_account(DIVISION, "Acme")
    missing = _post(http, "crm/Contacts", {"Account": str(acme["ID"])})
    assert (missing.status_code, _error(missing)) == (400, "Verplicht: Voornaam of Achternaam")
    no_account = _post(http, "crm/Contacts", {"LastName": "Jansen"})
    assert _error(no_account) == "Verplicht: Account"
    ghost = _post(
        http,
        "crm/Contacts",
        {"LastName": "Jansen", "Account": "00000000-0000-0000-0000-000000000001"},
    )
    assert _error(ghost) == "Ongeldig: Account"
    first = _post(
        http,
        "crm/Contacts",
        {"Account": str(acme["ID"]), "FirstName": "Karin", "LastName": "Jansen"},
    )
    assert first.status_code == 201
    contact = first.json()["d"]
    assert (contact["FullName"], contact["IsMainContact"], contact["AccountName"]) == (
        "Karin Jansen",
        True,
        "Acme",
    )
    second = _post(
        http, "crm/Contacts", {"Account": str(acme["ID"]), "LastName": "de Vries"}
    ).json()["d"]
    assert second["IsMainContact"] is False
    long_mail = _post(
        http,
        "crm/Contacts",
        {"Account": str(acme["ID"]), "LastName": "x", "BusinessEmail": "a" * 129},
    )
    assert long_mail.status_code == 400


def test_bank_accounts_hold_the_iban_in_bankaccount(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    acme = sandbox.add_account(DIVISION, "Acme")
    created = _post(
        http,
        "crm/BankAccounts",
        {"Account": str(acme["ID"]), "BankAccount": "NL91 ABNA 0417 1643 00"},
    )
    assert created.status_code == 201
    bank = created.json()["d"]
    assert (bank["BankAccount"], bank["IBAN"], bank["Type"], bank["Format"]) == (
        "NL91ABNA0417164300",
        None,
        "A",
        "IBAN",
    )
    bad = _post(
        http, "crm/BankAccounts", {"Account": str(acme["ID"]), "BankAccount": "NL00ABNA0417164300"}
    )
    assert (bad.status_code, _error(bad)) == (400, "Ongeldig: Bankrekening")
    missing = _post(http, "crm/BankAccounts", {"Account": str(acme["ID"])})
    assert _error(missing) == "Verplicht: Bankrekening"
    expanded = http.get(
        api(f"crm/Accounts(guid'{acme['ID']}')"), params={"$expand": "BankAccounts"}
    ).json()["d"]
    assert [row["BankAccount"] for row in expanded["BankAccounts"]["results"]] == [
        "NL91ABNA0417164300"
    ]


# -- reference data ----------------------------------------------------------------------


def test_dutch_defaults_are_seeded(sandbox: ExactSandbox) -> None:
    gl = {row["Code"]: row for row in sandbox.records(DIVISION, "financial/GLAccounts")}
    assert {"1300", "1600", "4000", "8000"} <= set(gl)
    assert gl["8000"]["VATCode"] == "02 "
    vat = {row["Code"].strip(): row for row in sandbox.records(DIVISION, "vat/VATCodes")}
    assert vat["02"]["Percentage"] == Decimal("0.21")
    assert vat["01"]["Percentage"] == Decimal("0.09")
    assert vat["04"]["Type"] == "N"
    assert {row["Description"] for row in vat.values()} >= {
        "BTW verlegd",
        "Leveringen binnen de EU",
        "Export buiten de EU",
    }
    journals = {row["Code"]: row["Type"] for row in sandbox.records(DIVISION, "financial/Journals")}
    assert journals["70"] == 20
    assert journals["60"] == 22
    empty = ExactSandbox(divisions={1: "Leeg"}, seed_defaults=False)
    assert empty.records(1, "financial/GLAccounts") == []


def test_costcenter_code_is_at_most_eight_characters(http: httpx.Client) -> None:
    ok = _post(http, "hrm/Costcenters", {"Code": "PRJ00001", "Description": "Project Noord"})
    assert ok.status_code == 201
    long = _post(http, "hrm/Costcenters", {"Code": "PRJ000001", "Description": "x"})
    assert (long.status_code, _error(long)) == (400, "Ongeldig: Code (maximaal 8 tekens)")
    duplicate = _post(http, "hrm/Costcenters", {"Code": "PRJ00001", "Description": "x"})
    assert _error(duplicate) == "Code bestaat al: PRJ00001"
    no_description = _post(http, "hrm/Costcenters", {"Code": "P2"})
    assert _error(no_description) == "Verplicht: Omschrijving"


def test_reference_data_validation(http: httpx.Client) -> None:
    assert (
        _error(_post(http, "financial/GLAccounts", {"Code": "8000", "Description": "x"}))
        == "Code bestaat al: 8000"
    )
    assert (
        _error(_post(http, "vat/VATCodes", {"Code": "99", "Description": "x", "Type": "Z"}))
        == "Ongeldig: Type"
    )
    assert (
        _error(_post(http, "financial/Journals", {"Code": "71", "Description": "x"}))
        == "Verplicht: Type"
    )


# -- entries -----------------------------------------------------------------------------


def _sales(sandbox: ExactSandbox, http: httpx.Client, **overrides: Any) -> httpx.Response:
    customer = overrides.pop("customer", None) or sandbox.add_account(DIVISION, "Klant")
    body = {
        "Customer": str(customer["ID"]),
        "Journal": "70",
        "YourRef": "CRM-2026-001",
        "Description": "Factuur",
        "EntryDate": "2026-01-05T00:00:00",
        "SalesEntryLines": [
            {"GLAccount": _gl(sandbox, "8000"), "AmountFC": 100, "Description": "Advies"},
            {"GLAccount": _gl(sandbox, "8010"), "AmountFC": "50.00", "CostCenter": "NOORD"},
        ],
        **overrides,
    }
    return _post(http, "salesentry/SalesEntries", body)


def test_sales_entry_computes_vat_from_the_codes_and_books_lines(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    sandbox.seed(DIVISION, "hrm/Costcenters", Code="NOORD", Description="Project Noord")
    response = _sales(sandbox, http)
    assert response.status_code == 201
    entry = response.json()["d"]
    # 100 at 21 % + 50 at 9 %: VAT 21.00 + 4.50; total incl. VAT 175.50
    assert (entry["VATAmountFC"], entry["AmountFC"]) == (25.5, 175.5)
    assert (entry["Type"], entry["Status"], entry["YourRef"]) == (20, 20, "CRM-2026-001")
    assert entry["EntryNumber"] == 26700001
    lines = http.get(
        api("salesentry/SalesEntryLines"),
        params={"$filter": f"EntryID eq guid'{entry['EntryID']}'", "$orderby": "LineNumber"},
    ).json()["d"]["results"]
    assert [(line["VATCode"], line["VATPercentage"], line["VATAmountFC"]) for line in lines] == [
        ("02 ", 0.21, 21),
        ("01 ", 0.09, 4.5),
    ]
    assert lines[1]["CostCenter"] == "NOORD"
    assert lines[1]["CostCenterDescription"] == "Project Noord"
    expanded = http.get(
        api(f"salesentry/SalesEntries(guid'{entry['EntryID']}')"),
        params={"$expand": "SalesEntryLines"},
    ).json()["d"]
    assert len(expanded["SalesEntryLines"]["results"]) == 2


def test_sales_entry_to_a_non_customer_is_a_500(sandbox: ExactSandbox, http: httpx.Client) -> None:
    prospect = sandbox.add_account(DIVISION, "Prospect", customer=False)
    response = _sales(sandbox, http, customer=prospect)
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "", "message": {"lang": "", "value": "Ongeldig: Factuur voor (Type)"}}
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"Journal": "60"}, "Ongeldig: Dagboek 60"),
        ({"Journal": None}, "Verplicht: Dagboek"),
        ({"SalesEntryLines": []}, "Verplicht: SalesEntryLines"),
        ({"SalesEntryLines": [{"AmountFC": 1}]}, "Verplicht: Grootboekrekening"),
        (
            {
                "SalesEntryLines": [
                    {"GLAccount": "00000000-0000-0000-0000-000000000001", "AmountFC": 1}
                ]
            },
            "Ongeldig: Grootboekrekening",
        ),
        ({"SalesEntryLines": ["not an object"]}, "Error processing request stream"),
    ],
)
def test_sales_entry_validation(
    sandbox: ExactSandbox, http: httpx.Client, overrides: dict[str, Any], message: str
) -> None:
    response = _sales(sandbox, http, **overrides)
    assert response.status_code == 400
    assert message in _error(response)


def test_line_vat_code_and_cost_centre_must_exist(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    gl = _gl(sandbox, "8000")
    bad_vat = _sales(
        sandbox, http, SalesEntryLines=[{"GLAccount": gl, "AmountFC": 1, "VATCode": "99"}]
    )
    assert _error(bad_vat) == "Ongeldig: BTW-code 99"
    bad_center = _sales(
        sandbox, http, SalesEntryLines=[{"GLAccount": gl, "AmountFC": 1, "CostCenter": "NOPE"}]
    )
    assert _error(bad_center) == "Ongeldig: Kostenplaats NOPE"
    sandbox.change(DIVISION, "financial/GLAccounts", gl, UseCostcenter=1)
    mandatory = _sales(sandbox, http, SalesEntryLines=[{"GLAccount": gl, "AmountFC": 1}])
    assert _error(mandatory) == "Verplicht: Kostenplaats"


def test_exempt_code_books_no_vat_and_an_explicit_vat_amount_wins(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    gl = _gl(sandbox, "8000")
    entry = _sales(
        sandbox,
        http,
        SalesEntryLines=[
            {"GLAccount": gl, "AmountFC": 100, "VATCode": "04"},
            {"GLAccount": gl, "AmountFC": 100, "VATAmountFC": 20.99},
        ],
    ).json()["d"]
    assert entry["VATAmountFC"] == 20.99


def test_credit_note_gets_type_21(sandbox: ExactSandbox, http: httpx.Client) -> None:
    entry = _sales(
        sandbox, http, SalesEntryLines=[{"GLAccount": _gl(sandbox, "8000"), "AmountFC": -100}]
    ).json()["d"]
    assert (entry["Type"], entry["AmountFC"]) == (21, -121)


def test_your_ref_is_stored_filterable_and_changeable(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    sandbox.seed(DIVISION, "hrm/Costcenters", Code="NOORD", Description="Project Noord")
    entry = _sales(sandbox, http).json()["d"]
    found = http.get(
        api("salesentry/SalesEntries"),
        params={"$filter": "YourRef eq 'CRM-2026-001'", "$select": "EntryID"},
    ).json()["d"]["results"]
    assert [row["EntryID"] for row in found] == [entry["EntryID"]]
    url = api(f"salesentry/SalesEntries(guid'{entry['EntryID']}')")
    assert http.put(url, json={"YourRef": "CRM-2026-001b"}).status_code == 204
    lines = http.get(
        api("financialtransaction/TransactionLines"),
        params={"$filter": f"EntryID eq guid'{entry['EntryID']}'"},
    ).json()["d"]["results"]
    assert {line["YourRef"] for line in lines} == {"CRM-2026-001b"}


def test_transaction_lines_balance_and_carry_the_cost_centre(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    sandbox.seed(DIVISION, "hrm/Costcenters", Code="NOORD", Description="Project Noord")
    supplier = sandbox.add_account(DIVISION, "Leverancier", customer=False, supplier=True)
    response = _post(
        http,
        "purchaseentry/PurchaseEntries",
        {
            "Supplier": str(supplier["ID"]),
            "Journal": "60",
            "YourRef": "INK-7",
            "PurchaseEntryLines": [
                {"GLAccount": _gl(sandbox, "4000"), "AmountFC": 200, "CostCenter": "NOORD"}
            ],
        },
    )
    assert response.status_code == 201
    entry = response.json()["d"]
    assert (entry["Type"], entry["AmountFC"], entry["SupplierName"]) == (30, 242, "Leverancier")
    lines = http.get(
        api("financialtransaction/TransactionLines"),
        params={
            "$filter": "Type eq 30 and CostCenter eq 'NOORD'",
            "$select": "GLAccountCode,CostCenter,CostCenterDescription,AmountDC",
        },
    ).json()["d"]["results"]
    assert lines == [
        {
            "__metadata": lines[0]["__metadata"],
            "GLAccountCode": "4000",
            "CostCenter": "NOORD",
            "CostCenterDescription": "Project Noord",
            "AmountDC": 200,
        }
    ]
    everything = http.get(
        api("financialtransaction/TransactionLines"),
        params={"$filter": f"EntryID eq guid'{entry['EntryID']}'"},
    ).json()["d"]["results"]
    assert sum(Decimal(str(line["AmountDC"])) for line in everything) == 0
    assert {line["GLAccountCode"] for line in everything} == {"1600", "4000", "1500"}


def test_purchase_from_a_non_supplier_is_a_500(sandbox: ExactSandbox, http: httpx.Client) -> None:
    customer = sandbox.add_account(DIVISION, "Alleen klant")
    response = _post(
        http,
        "purchaseentry/PurchaseEntries",
        {
            "Supplier": str(customer["ID"]),
            "Journal": "60",
            "PurchaseEntryLines": [{"GLAccount": _gl(sandbox, "4000"), "AmountFC": 1}],
        },
    )
    assert (response.status_code, _error(response)) == (500, "Ongeldig: Factuur van (Type)")


def test_deleting_an_entry_removes_lines_open_item_and_logs_transaction_lines(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    entry = _sales(
        sandbox, http, SalesEntryLines=[{"GLAccount": _gl(sandbox, "8000"), "AmountFC": 10}]
    ).json()["d"]
    assert http.delete(api(f"salesentry/SalesEntries(guid'{entry['EntryID']}')")).status_code == 204
    assert sandbox.records(DIVISION, "salesentry/SalesEntryLines") == []
    assert sandbox.open_items(DIVISION) == []
    deleted = http.get(api("sync/Deleted")).json()["d"]["results"]
    assert {row["EntityType"] for row in deleted} == {1}


def test_entry_lines_endpoint_is_read_only(http: httpx.Client) -> None:
    assert http.post(api("salesentry/SalesEntryLines"), json={}).status_code == 405


# -- open items --------------------------------------------------------------------------


def test_receivables_show_open_terms_and_partial_payments_until_settled(
    sandbox: ExactSandbox, http: httpx.Client
) -> None:
    entry = _sales(
        sandbox, http, SalesEntryLines=[{"GLAccount": _gl(sandbox, "8000"), "AmountFC": 100}]
    ).json()["d"]

    def rows() -> list[dict[str, Any]]:
        body = http.get(api("read/financial/ReceivablesList")).json()["d"]
        return sorted(body["results"], key=lambda row: row["HID"])

    (open_row,) = rows()
    assert (open_row["Amount"], open_row["YourRef"], open_row["InvoiceNumber"]) == (
        121,
        "CRM-2026-001",
        entry["InvoiceNumber"],
    )
    assert open_row["AccountCode"].strip() == "1"
    sandbox.record_payment(DIVISION, entry["EntryID"], Decimal("21.00"))
    invoice_row, payment_row = rows()
    assert (invoice_row["Amount"], payment_row["Amount"]) == (121, -21)
    assert payment_row["YourRef"] is None
    assert payment_row["InvoiceNumber"] == entry["InvoiceNumber"]
    by_key = http.get(api(f"read/financial/ReceivablesList({payment_row['HID']}L)")).json()["d"]
    assert by_key["Amount"] == -21
    with pytest.raises(ValueError, match="does not fit"):
        sandbox.record_payment(DIVISION, entry["EntryID"], 200)
    sandbox.record_payment(DIVISION, entry["EntryID"], 100)
    assert rows() == []
    assert http.get(api("read/financial/PayablesList")).json()["d"]["results"] == []
    assert http.post(api("read/financial/ReceivablesList"), json={}).status_code == 405


def test_payables_list_purchase_entries(sandbox: ExactSandbox, http: httpx.Client) -> None:
    supplier = sandbox.add_account(DIVISION, "Leverancier", customer=False, supplier=True)
    entry = sandbox.seed(
        DIVISION,
        "purchaseentry/PurchaseEntries",
        Supplier=supplier["ID"],
        Journal="60",
        YourRef="INK-1",
        PurchaseEntryLines=[{"GLAccount": _gl(sandbox, "4000"), "AmountFC": 50, "VATCode": "05"}],
    )
    rows = http.get(
        api("read/financial/PayablesList"), params={"$filter": "YourRef eq 'INK-1'"}
    ).json()["d"]["results"]
    assert [(row["Amount"], row["AccountName"], row["ApprovalStatus"]) for row in rows] == [
        (50, "Leverancier", None)
    ]
    assert sandbox.open_items(DIVISION, sales=False)[0]["YourRef"] == "INK-1"
    sandbox.record_payment(DIVISION, str(entry["EntryID"]), "50")
    assert sandbox.open_items(DIVISION, sales=False) == []


# -- documents ---------------------------------------------------------------------------


def test_documents_and_base64_attachments(sandbox: ExactSandbox, http: httpx.Client) -> None:
    acme = sandbox.add_account(DIVISION, "Acme")
    document = _post(
        http,
        "documents/Documents",
        {"Subject": "Factuur 1", "Type": "10", "Account": str(acme["ID"])},
    ).json()["d"]
    assert (document["Type"], document["AccountName"], document["HID"]) == (10, "Acme", 1)
    pdf = b"%PDF-1.4 sandbox"
    attached = _post(
        http,
        "documents/DocumentAttachments",
        {
            "Document": document["ID"],
            "FileName": "factuur.pdf",
            "Attachment": base64.b64encode(pdf).decode(),
        },
    )
    assert attached.status_code == 201
    assert attached.json()["d"]["FileSize"] == len(pdf)
    (stored,) = sandbox.records(DIVISION, "documents/DocumentAttachments")
    assert stored["Attachment"] == pdf
    raw = _post(
        http,
        "documents/DocumentAttachments",
        {"Document": document["ID"], "FileName": "x.pdf", "Attachment": "%PDF raw bytes"},
    )
    assert _error(raw) == (
        "Error processing request stream. Error encountered in converting the value from "
        "request payload for property 'Attachment' to type 'Byte[]'."
    )
    missing = _post(http, "documents/Documents", {"Type": 10})
    assert _error(missing) == "Verplicht: Onderwerp"
    assert (
        http.put(api(f"documents/DocumentAttachments(guid'{stored['ID']}')"), json={}).status_code
        == 405
    )


def test_attachments_over_ten_megabytes_are_refused(sandbox: ExactSandbox) -> None:
    document = sandbox.seed(DIVISION, "documents/Documents", Subject="Groot", Type=10)
    with pytest.raises(ValueError, match="10 MB"):
        sandbox.seed(
            DIVISION,
            "documents/DocumentAttachments",
            Document=document["ID"],
            FileName="groot.pdf",
            Attachment=b"x" * (ATTACHMENT_LIMIT + 1),
        )
    exact = sandbox.seed(
        DIVISION,
        "documents/DocumentAttachments",
        Document=document["ID"],
        FileName="precies.pdf",
        Attachment=b"x" * ATTACHMENT_LIMIT,
    )
    assert exact["FileSize"] == ATTACHMENT_LIMIT


def test_test_api_refuses_unknown_entities_and_divisions(sandbox: ExactSandbox) -> None:
    with pytest.raises(ValueError, match="unknown entity"):
        sandbox.records(DIVISION, "crm/Nothing")
    with pytest.raises(ValueError, match="unknown division"):
        sandbox.records(42, "crm/Accounts")
    with pytest.raises(KeyError):
        sandbox.record(DIVISION, "crm/Accounts", "00000000-0000-0000-0000-000000000001")
