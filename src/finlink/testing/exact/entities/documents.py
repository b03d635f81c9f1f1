"""``documents/Documents`` and ``documents/DocumentAttachments`` (reference §5.1, §5.3).

A PDF is attached in two steps: POST a Document (``Subject`` and ``Type`` mandatory), then
POST a DocumentAttachment with ``Document``, ``FileName`` and ``Attachment`` as base64.
Raw bytes fail with Exact's conversion error (picqer#178); the raw file may be at most
10 MB ([KB-limits]: "for binaries the raw (not base64) size counts").
"""

from __future__ import annotations

from finlink.testing.exact.entities.base import EntitySpec, Record, f, mandatory, stored
from finlink.testing.exact.entities.crm import ACCOUNTS
from finlink.testing.exact.store import DivisionStore
from finlink.testing.exact.wire import exact_error

__all__ = ["ATTACHMENT_LIMIT", "DOCUMENTS", "DOCUMENT_ATTACHMENTS"]

ATTACHMENT_LIMIT = 10 * 1024 * 1024


def _validate_document(store: DivisionStore, record: Record, sent: Record) -> None:
    mandatory(record, "Subject", "Type", labels={"Subject": "Onderwerp"})
    if record.get("Account") is not None:
        account = stored(store, ACCOUNTS.path, record["Account"], "Account")
        record["AccountCode"] = account["Code"]
        record["AccountName"] = account["Name"]
    if record.get("HID") is None:
        record["HID"] = store.next_hid()
    record["DocumentViewUrl"] = (
        f"https://start.exactonline.nl/docs/DocView.aspx?DocumentID={record['ID']}"
        f"&_Division_={store.code}"
    )


DOCUMENTS = EntitySpec(
    path="documents/Documents",
    type_name="Exact.Web.Api.Models.Documents.Document",
    topic="Documents",
    deleted_type=6,
    validate=_validate_document,
    fields=(
        f("ID", "guid"),
        f("Account", "guid"),
        f("AccountCode", ro=True),
        f("AccountName", ro=True),
        f("AmountFC", "double"),
        f("Body"),
        f("Category", "guid"),
        f("Contact", "guid"),
        f("Created", "datetime", ro=True),
        f("Creator", "guid", ro=True),
        f("Currency"),
        f("Division", "int", ro=True),
        f("DocumentDate", "datetime"),
        f("DocumentFolder", "guid"),
        f("DocumentViewUrl", ro=True),
        f("FinancialTransactionEntryID", "guid"),
        f("HID", "int"),
        f("Modified", "datetime", ro=True),
        f("Modifier", "guid", ro=True),
        f("Project", "guid"),
        f("ProposedEntryStatus", "int"),
        f("SalesInvoiceNumber", "int"),
        f("Subject"),
        f("Type", "int"),
    ),
)


def _validate_attachment(store: DivisionStore, record: Record, sent: Record) -> None:
    mandatory(record, "Document", "FileName", "Attachment", labels={"FileName": "Bestandsnaam"})
    stored(store, DOCUMENTS.path, record["Document"], "Document")
    data = record["Attachment"]
    if len(data) > ATTACHMENT_LIMIT:
        raise exact_error(400, "Ongeldig: Bijlage is groter dan 10 MB")
    record["FileSize"] = len(data)
    record["Url"] = (
        f"https://start.exactonline.nl/docs/SysAttachment.aspx?ID={record['ID']}"
        f"&_Division_={store.code}"
    )


DOCUMENT_ATTACHMENTS = EntitySpec(
    path="documents/DocumentAttachments",
    type_name="Exact.Web.Api.Models.Documents.DocumentAttachment",
    methods=frozenset({"GET", "POST", "DELETE"}),
    deleted_type=4,
    validate=_validate_attachment,
    fields=(
        f("ID", "guid"),
        f("Attachment", "binary"),
        f("Document", "guid"),
        f("FileName"),
        f("FileSize", "double", ro=True),
        f("Url", ro=True),
    ),
)
