"""``crm/Accounts``, ``crm/Contacts`` and ``crm/BankAccounts`` (reference §5.1, §5.3)."""

from __future__ import annotations

from stdnum import iban

from finlink.testing.exact.entities.base import (
    EntitySpec,
    Record,
    f,
    mandatory,
    max_length,
    stored,
)
from finlink.testing.exact.store import DivisionStore
from finlink.testing.exact.wire import exact_error

__all__ = ["ACCOUNTS", "BANK_ACCOUNTS", "CONTACTS"]

#: Fields a GET on crm/Accounts may filter on to satisfy mandatory filtering (§4.4).
_ACCOUNT_FILTER_TEXT = (
    # In the order of Exact's error message (picqer#591, quoted in §4.4).
    "Accountant,AccountManager,AddressLine1,AddressLine2,AddressLine3,Blocked,BRIN,BSN,"
    "ChamberOfCommerce,City,Classification1,Classification2,Classification3,Classification4,"
    "Classification5,Classification6,Classification7,Classification8,Classification,Code,"
    "CodeAtSupplier,Country,Created,Email,EndDate,Fax,ID,InvoiceAccount,IsAccountant,"
    "IsReseller,IsSales,IsSupplier,MainContact,Modified,Name,Parent,Phone,Postcode,PriceList,"
    "Reseller,RSIN,SearchCode,StartDate,Status,Type,VATNumber"
)
ACCOUNT_FILTER_FIELDS: tuple[str, ...] = tuple(_ACCOUNT_FILTER_TEXT.split(","))


def _validate_account(store: DivisionStore, record: Record, sent: Record) -> None:
    mandatory(record, "Name", labels={"Name": "Naam"})
    # Lengths: Name 50, address lines 80, City 30 (§5.3, Invantive's model [I]).
    max_length(record, "Name", 50)
    for line in ("AddressLine1", "AddressLine2", "AddressLine3"):
        max_length(record, line, 80)
    max_length(record, "City", 30)
    max_length(record, "Code", 18)
    if record.get("Status") not in (None, "A", "S", "P", "C"):
        raise exact_error(400, "Ongeldig: Status")
    if record.get("Country") is not None and len(record["Country"].strip()) != 2:
        raise exact_error(400, "Ongeldig: Land")
    table = store.table(ACCOUNTS.path)
    own = record["ID"]
    if record.get("Code") is None:
        # "new account code = highest code + 1" (§5.1, basvanbeek.nl — UNVERIFIED officially)
        highest = max(
            (
                int(code)
                for key, row in table.items()
                if key != own and (code := row["Code"].strip()).isdigit()
            ),
            default=0,
        )
        record["Code"] = str(highest + 1).rjust(18)
    else:
        code = record["Code"]
        if any(row["Code"] == code and key != own for key, row in table.items()):
            raise exact_error(400, f"Code bestaat al: {code.strip()}")
    # Status 'C' means customer (§5.1); IsSales is read-only "allowed for sales".
    record["IsSales"] = record.get("Status") == "C"
    record["IsPurchase"] = bool(record.get("IsSupplier"))  # obsolete mirror of IsSupplier


ACCOUNTS = EntitySpec(
    path="crm/Accounts",
    type_name="Exact.Web.Api.Models.Account",
    topic="Accounts",
    deleted_type=2,
    mandatory_filter=ACCOUNT_FILTER_FIELDS,
    navigation={"BankAccounts": ("crm/BankAccounts", "Account")},
    validate=_validate_account,
    fields=(
        f("ID", "guid"),
        f("AddressLine1"),
        f("AddressLine2"),
        f("AddressLine3"),
        f("BankAccounts", ro=True),
        f("Blocked", "bool", default=False),
        f("ChamberOfCommerce"),
        f("City"),
        f("Code", rjust=18),  # 18 chars, left-padded with spaces (§4.5, fixtures)
        f("Country", ljust=3),  # returned padded: "NL " (§4.5)
        f("Created", "datetime", ro=True),
        f("Creator", "guid", ro=True),
        f("Division", "int", ro=True),
        f("Email"),
        f("IsPurchase", "bool", ro=True, default=False),
        f("IsSales", "bool", ro=True, default=False),
        f("IsSupplier", "bool", default=False),
        f("Language", ljust=10),  # "NL        " (§4.5)
        f("MainContact", "guid"),
        f("Modified", "datetime", ro=True),
        f("Modifier", "guid", ro=True),
        f("Name"),
        f("PaymentConditionPurchase"),
        f("PaymentConditionSales"),
        f("Phone"),
        f("Postcode"),
        f("PurchaseVATCode", ljust=3),
        f("Remarks"),
        f("SalesVATCode", ljust=3),
        f("SearchCode"),
        f("State"),
        f("Status", default="A"),
        f("Type", ro=True, default="A"),
        f("VATLiability"),
        f("VATNumber"),
        f("Website"),
    ),
)


def _validate_contact(store: DivisionStore, record: Record, sent: Record) -> None:
    mandatory(record, "Account", labels={"Account": "Account"})
    account = stored(store, ACCOUNTS.path, record["Account"], "Account")
    # "Provide at least first name or last name to create a new contact" (§5.1)
    if not (record.get("FirstName") or "").strip() and not (record.get("LastName") or "").strip():
        raise exact_error(400, "Verplicht: Voornaam of Achternaam")
    max_length(record, "BusinessEmail", 128)
    names = (record.get("FirstName"), record.get("MiddleName"), record.get("LastName"))
    record["FullName"] = " ".join(part.strip() for part in names if part and part.strip())
    record["AccountName"] = account["Name"]
    record["AccountIsCustomer"] = account.get("Status") == "C"
    record["AccountIsSupplier"] = bool(account.get("IsSupplier"))
    if account.get("MainContact") is None:
        account["MainContact"] = record["ID"]
    record["IsMainContact"] = account.get("MainContact") == record["ID"]


CONTACTS = EntitySpec(
    path="crm/Contacts",
    type_name="Exact.Web.Api.Models.Contact",
    topic="Contacts",
    deleted_type=5,
    validate=_validate_contact,
    fields=(
        f("ID", "guid"),
        f("Account", "guid"),
        f("AccountIsCustomer", "bool", ro=True),
        f("AccountIsSupplier", "bool", ro=True),
        f("AccountName", ro=True),
        f("BusinessEmail"),
        f("BusinessMobile"),
        f("BusinessPhone"),
        f("Created", "datetime", ro=True),
        f("Creator", "guid", ro=True),
        f("Division", "int", ro=True),
        f("Email"),
        f("FirstName"),
        f("FullName", ro=True),
        f("Gender"),
        f("Initials"),
        f("IsMainContact", "bool", ro=True, default=False),
        f("JobTitleDescription"),
        f("Language"),
        f("LastName"),
        f("MiddleName"),
        f("Mobile"),
        f("Modified", "datetime", ro=True),
        f("Modifier", "guid", ro=True),
        f("Notes"),
        f("Phone"),
        f("Title"),
    ),
)


def _validate_bank_account(store: DivisionStore, record: Record, sent: Record) -> None:
    mandatory(record, "Account", "BankAccount", labels={"BankAccount": "Bankrekening"})
    account = stored(store, ACCOUNTS.path, record["Account"], "Account")
    number = record["BankAccount"].replace(" ", "").upper()
    # BankAccount holds the IBAN; IBAN itself is obsolete/read-only (§5.1).
    if number[:2].isalpha() and not iban.is_valid(number):
        raise exact_error(400, "Ongeldig: Bankrekening")
    record["BankAccount"] = number
    record["AccountName"] = account["Name"]
    record["Format"] = "IBAN" if number[:2].isalpha() else None


BANK_ACCOUNTS = EntitySpec(
    path="crm/BankAccounts",
    type_name="Exact.Web.Api.Models.BankAccount",
    topic="BankAccounts",
    deleted_type=48,
    validate=_validate_bank_account,
    fields=(
        f("ID", "guid"),
        f("Account", "guid"),
        f("AccountName", ro=True),
        f("BankAccount"),
        f("BankAccountHolderName"),
        f("BICCode"),
        f("Blocked", "bool", default=False),
        f("Created", "datetime", ro=True),
        f("Creator", "guid", ro=True),
        f("Description"),
        f("Division", "int", ro=True),
        f("Format", ro=True),
        f("IBAN", ro=True),
        f("Main", "bool", default=False),
        f("Modified", "datetime", ro=True),
        f("Modifier", "guid", ro=True),
        f("Type", ro=True, default="A"),
    ),
)
