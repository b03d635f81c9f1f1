"""``current/Me``, ``system/Divisions``, ``sync/Deleted`` and ``webhooks/WebhookSubscriptions``."""

from __future__ import annotations

from finlink.testing.exact.entities.base import EntitySpec, Record, f, mandatory
from finlink.testing.exact.store import DivisionStore
from finlink.testing.exact.wire import exact_error

__all__ = ["DELETED", "DIVISIONS", "HRM_DIVISIONS_PATH", "ME", "TOPICS", "WEBHOOK_SUBSCRIPTIONS"]

#: The older divisions endpoint; some licences get 404 there (§2, §6 quirk 18).
HRM_DIVISIONS_PATH = "hrm/Divisions"

#: ``current/Me``: the signed-in user (§2 "Me fields of interest"); no division in its URL.
ME = EntitySpec(
    path="current/Me",
    type_name="Exact.Web.Api.System.Me",
    key="UserID",
    methods=frozenset({"GET"}),
    fields=(
        f("CurrentDivision", "int", ro=True),
        f("DivisionCustomer", "guid", ro=True),
        f("Email", ro=True),
        f("FullName", ro=True),
        f("LanguageCode", ro=True),
        # The 2022 reference types Legislation as Int64; the sandbox has always answered
        # the country code "NL" and clients read it as text.
        f("Legislation", ro=True),
        f("ServerTime", "datetime", ro=True),
        f("ServerUtcOffset", "double", ro=True),
        f("UserID", "guid", ro=True),
        f("UserName", ro=True),
    ),
)

DIVISIONS = EntitySpec(
    path="system/Divisions",
    type_name="Exact.Web.Api.System.Division",
    key="Code",
    methods=frozenset({"GET"}),
    fields=(
        f("Code", "int", ro=True),
        f("Country", ro=True),
        f("Currency", ro=True),
        f("Current", "bool", ro=True),
        f("Description", ro=True),
        f("Hid", "int64", ro=True),
        f("Legislation", ro=True),
        f("Status", "int", ro=True),
        f("VATNumber", ro=True),
    ),
)

DELETED = EntitySpec(
    path="sync/Deleted",
    type_name="Exact.Web.Api.Models.Sync.Deleted",
    key="Timestamp",
    methods=frozenset({"GET"}),
    fields=(
        f("Timestamp", "int64", ro=True),
        f("DeletedBy", "guid", ro=True),
        f("DeletedDate", "datetime", ro=True),
        f("Division", "int", ro=True),
        f("EntityKey", "guid", ro=True),
        f("EntityType", "int", ro=True),
        f("ID", "guid", ro=True),
    ),
)

#: Webhook topics the sandbox fires (reference §5.1 "Webhook support", §5.2).
TOPICS = frozenset(
    {"Accounts", "BankAccounts", "Contacts", "Documents", "GLAccounts", "PurchaseEntries"}
    | {"SalesEntries"}
)


def _validate_subscription(store: DivisionStore, record: Record, sent: Record) -> None:
    mandatory(record, "CallbackURL", "Topic")
    if record["Topic"] not in TOPICS:
        raise exact_error(400, f"Ongeldig: Topic {record['Topic']}")
    # One subscription per topic per division (per app) — §5.2.
    for other in store.table(WEBHOOK_SUBSCRIPTIONS.path).values():
        same_app = other["ClientID"] == record["ClientID"]
        if other["ID"] != record["ID"] and same_app and other["Topic"] == record["Topic"]:
            raise exact_error(400, f"Er bestaat al een abonnement voor {record['Topic']}")


WEBHOOK_SUBSCRIPTIONS = EntitySpec(
    path="webhooks/WebhookSubscriptions",
    type_name="Exact.Web.Api.Models.Webhooks.WebhookSubscription",
    validate=_validate_subscription,
    fields=(
        f("ID", "guid"),
        f("CallbackURL"),
        f("ClientID", "guid", ro=True),
        f("Created", "datetime", ro=True),
        f("Creator", "guid", ro=True),
        f("Description", ro=True),
        f("Division", "int", ro=True),
        f("Topic"),
        f("UserID", "guid"),
    ),
)
