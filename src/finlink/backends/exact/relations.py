"""Relations and contacts of one division: find, read (incrementally), create, update.

Reads follow the reference (``exact-online.md``):

- ``crm/Accounts`` has mandatory filtering (§4.4): every GET filters on one of the accepted
  fields (``SearchCode``, ``Code``, ``VATNumber``, ``ChamberOfCommerce``, ``Email``, ``Name``,
  ``ID``…), and a full read goes through ``/sync/CRM/Accounts`` (1,000 rows a page, §4.7);
- incremental reads ask ``/sync/CRM/Accounts?$filter=Timestamp gt {n}L`` (§4.7): one call when
  nothing changed; deletions come from ``/sync/Deleted`` (EntityType 2 = Accounts), read at
  most once per ``deleted_interval`` so a frequent poll stays at one call;
- the IBAN lives in ``crm/BankAccounts`` (§5.1), read with ``$expand`` on single reads and by
  account on incremental ones. A bank-account change alone does not move the account's
  ``Timestamp``: it shows on the next read of that account.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from finlink._errors import BackendError, NotFoundError
from finlink.backends.exact.connection import ExactConnection
from finlink.backends.exact.mapping import (
    account_body,
    bank_body,
    check_relation,
    contact_body,
    contact_from_row,
    crm_key_of,
    relation_from_account,
    search_code,
)
from finlink.backends.exact.wire import account_code, as_guid, guid_literal, parse_date
from finlink.backends.exact.wire import string_literal as lit
from finlink.backends.protocol import ChangeSet, RelationKeys
from finlink.backends.records import RemoteRecord
from finlink.clock import Clock
from finlink.model.normalize import normalize_contact, normalize_relation
from finlink.model.relation import Contact, Relation

__all__ = ["RelationCursor", "Relations"]

logger = logging.getLogger("finlink.backends.exact")

ACCOUNTS = "crm/Accounts"
CONTACTS = "crm/Contacts"
BANK_ACCOUNTS = "crm/BankAccounts"
SYNC_ACCOUNTS = "sync/CRM/Accounts"
SYNC_DELETED = "sync/Deleted"
#: ``/sync/Deleted`` EntityType of an account (§4.7).
DELETED_ACCOUNT = 2

_ACCOUNT_FIELDS = (
    "ID,Code,SearchCode,Name,Status,IsSupplier,AddressLine1,AddressLine2,Postcode,City,"
    "Country,Email,Phone,Website,VATNumber,ChamberOfCommerce,PaymentConditionSales,"
    "PaymentConditionPurchase,Language,Blocked,Modified"
)
_BANK_FIELDS = "ID,Account,BankAccount,BICCode,Main,Blocked"
#: Account ids per ``crm/BankAccounts`` filter (keeps the URL short).
_IDS_PER_CALL = 20


class RelationCursor:
    """The relation read cursor: ``v1;{account ts};{deleted ts};{last deletion check}``."""

    def __init__(self, accounts: int, deleted: int, checked: float) -> None:
        self.accounts = accounts
        self.deleted = deleted
        self.checked = checked

    @classmethod
    def parse(cls, cursor: str | None) -> RelationCursor | None:
        """The cursor, or None for none (or one this version cannot read: a full read)."""
        parts = (cursor or "").split(";")
        if len(parts) != 4 or parts[0] != "v1":
            return None
        try:
            return cls(int(parts[1]), int(parts[2]), float(parts[3]))
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"v1;{self.accounts};{self.deleted};{self.checked:.0f}"


class Relations:
    """The relation and contact operations of :class:`~finlink.backends.exact.ExactBackend`.

    Args:
        conn: The division's calls.
        administration: The backend's administration id (put on every record).
        clock: For the deletion-check interval.
        deleted_interval: How often an incremental read also reads ``/sync/Deleted``.
    """

    def __init__(
        self,
        conn: ExactConnection,
        *,
        administration: str,
        clock: Clock,
        deleted_interval: timedelta,
    ) -> None:
        self.conn = conn
        self.administration = administration
        self.clock = clock
        self.deleted_interval = deleted_interval

    # -- records ------------------------------------------------------------------------

    def record(
        self, row: Mapping[str, Any], banks: Sequence[Mapping[str, Any]] = ()
    ) -> RemoteRecord[Relation]:
        """A remote record from an account row (and its bank accounts)."""
        modified = parse_date(row.get("Modified"))
        stamp = row.get("Timestamp")
        version = (
            str(stamp)
            if stamp is not None
            else (str(int(modified.timestamp() * 1000)) if modified else None)
        )
        return RemoteRecord(
            administration=self.administration,
            remote_id=str(row["ID"]),
            data=relation_from_account(row, banks),
            crm_key=crm_key_of(row),
            version=version,
            modified_at=modified,
            active=not row.get("Blocked"),
        )

    def _with_banks(self, row: Mapping[str, Any]) -> RemoteRecord[Relation]:
        banks = row.get("BankAccounts")
        results = banks.get("results", []) if isinstance(banks, Mapping) else []
        return self.record(row, results)

    # -- reads -------------------------------------------------------------------------

    def find(self, keys: RelationKeys) -> list[RemoteRecord[Relation]]:
        """Accounts matching any key: one GET (two with an IBAN: its bank account first)."""
        clauses: list[str] = []
        if keys.reference is not None:
            clauses.append(f"SearchCode eq {lit(search_code(keys.reference))}")
        if keys.code is not None and keys.code.strip():
            clauses.append(f"Code eq {lit(account_code(keys.code))}")  # §6 quirk 1: padded
        for field, value in (
            ("VATNumber", keys.vat_number),
            ("ChamberOfCommerce", keys.coc_number),
            ("Email", keys.email),
        ):
            if value:
                clauses.append(f"{field} eq {lit(value)}")
        if keys.name:
            name = f"Name eq {lit(keys.name.strip())}"
            if keys.postcode:
                name = f"({name} and Postcode eq {lit(keys.postcode)})"
            clauses.append(name)
        if keys.iban:
            iban = keys.iban.replace(" ", "").upper()
            found = self.conn.first_page(
                BANK_ACCOUNTS,
                {"$filter": f"BankAccount eq {lit(iban)}", "$select": "Account"},
            )
            clauses += [f"ID eq {guid_literal(row['Account'])}" for row in found]
        if not clauses:
            return []
        params = {
            "$filter": " or ".join(clauses),
            "$select": _ACCOUNT_FIELDS + ",BankAccounts",
            "$expand": "BankAccounts",
        }
        return [self._with_banks(row) for row in self.conn.rows(ACCOUNTS, params)]

    def get(self, remote_id: str) -> RemoteRecord[Relation]:
        """One account with its bank accounts.

        Raises:
            NotFoundError: No such account (also for a key that is not a GUID).
        """
        if as_guid(remote_id) is None:
            raise NotFoundError(
                f"{remote_id!r} is not an Exact Online account id",
                administration=self.administration,
            )
        row = self.conn.get(ACCOUNTS, remote_id, {"$expand": "BankAccounts"})
        return self._with_banks(row)

    def read(self, cursor: str | None) -> ChangeSet[Relation]:
        """Every account (no cursor) or those changed and deleted since ``cursor``."""
        since = RelationCursor.parse(cursor)
        start = since.accounts if since is not None else 1  # "start with > 1" (§0 fact 8)
        rows = list(
            self.conn.rows(
                SYNC_ACCOUNTS,
                {"$filter": f"Timestamp gt {start}L", "$select": _ACCOUNT_FIELDS + ",Timestamp"},
            )
        )
        latest = max((int(row["Timestamp"]) for row in rows), default=start)
        banks = self._banks_of([str(row["ID"]) for row in rows], everything=since is None)
        records = tuple(self.record(row, banks.get(str(row["ID"]), ())) for row in rows)
        deleted: tuple[str, ...] = ()
        # Time is taken after the reads: the limiter may have waited for the next minute.
        due = since is None or (
            self.clock.now().timestamp() - since.checked >= self.deleted_interval.total_seconds()
        )
        if since is not None and not due:
            next_cursor = RelationCursor(latest, since.deleted, since.checked)
        else:
            # A full read only positions the deletion cursor: it lists what exists.
            found, deleted_ts = self._deleted_since(since.deleted if since is not None else 1)
            deleted = found if since is not None else ()
            next_cursor = RelationCursor(latest, deleted_ts, self.clock.now().timestamp())
        return ChangeSet(
            records=records, deleted=deleted, cursor=str(next_cursor), full=since is None
        )

    def _deleted_since(self, stamp: int) -> tuple[tuple[str, ...], int]:
        rows = list(self.conn.rows(SYNC_DELETED, {"$filter": f"Timestamp gt {stamp}L"}))
        latest = max((int(row["Timestamp"]) for row in rows), default=stamp)
        keys = tuple(
            str(row["EntityKey"]) for row in rows if row.get("EntityType") == DELETED_ACCOUNT
        )
        return keys, latest

    def _banks_of(
        self, account_ids: Sequence[str], *, everything: bool
    ) -> dict[str, list[dict[str, Any]]]:
        """Bank accounts by account id: all of them for a full read, else per account."""
        found: dict[str, list[dict[str, Any]]] = {}
        if not account_ids:
            return found
        if everything or len(account_ids) > 5 * _IDS_PER_CALL:
            batches: Iterable[dict[str, str]] = [
                {"$filter": "Type eq 'A'", "$select": _BANK_FIELDS}
            ]
        else:
            batches = [
                {
                    "$filter": " or ".join(
                        f"Account eq {guid_literal(key)}"
                        for key in account_ids[start : start + _IDS_PER_CALL]
                    ),
                    "$select": _BANK_FIELDS,
                }
                for start in range(0, len(account_ids), _IDS_PER_CALL)
            ]
        for params in batches:
            for row in self.conn.rows(BANK_ACCOUNTS, params):
                found.setdefault(str(row["Account"]), []).append(row)
        return found

    # -- writes ------------------------------------------------------------------------

    def create(self, relation: Relation, reference: str) -> RemoteRecord[Relation]:
        """POST the account (finlink's reference in ``SearchCode``), then its IBAN.

        Raises:
            ValidationError: A field breaks Exact's limits (nothing sent).
            OutcomeUnknownError: The account POST may have landed; look it up by reference.
        """
        check_relation(relation)
        relation = normalize_relation(relation)
        row = self.conn.post(
            ACCOUNTS, account_body(relation, reference=reference), reference=reference
        )
        banks = []
        if relation.iban:
            account_id = str(row["ID"])
            try:
                banks.append(
                    self.conn.post(
                        BANK_ACCOUNTS,
                        bank_body(account_id, relation.iban, relation.bic),
                        reference=reference,
                    )
                )
            except BackendError as exc:
                # The account exists now: raising would make the engine create it again.
                # The record says what Exact holds (no IBAN), so the next sync sends the
                # IBAN as an update, which finds a bank account that did land.
                logger.warning(
                    "account %s was created without its bank account (%s: %s); "
                    "the next update of the relation sends it again",
                    account_id,
                    type(exc).__name__,
                    exc.vendor_code or exc.status_code,
                )
        return self.record(row, banks)

    def update(
        self, remote_id: str, relation: Relation, fields: frozenset[str]
    ) -> RemoteRecord[Relation]:
        """PUT only the account fields that changed; the IBAN through its bank account.

        Raises:
            ValidationError: A named field breaks Exact's limits (nothing sent).
        """
        check_relation(relation, fields)
        relation = normalize_relation(relation)
        body = account_body(relation, reference=None, fields=fields)
        if body:
            self.conn.put(ACCOUNTS, remote_id, body)
        if fields & {"iban", "bic"}:
            self._update_bank(remote_id, relation)
        return self.get(remote_id)

    def _update_bank(self, remote_id: str, relation: Relation) -> None:
        current = self._banks_of([remote_id], everything=False).get(remote_id, [])
        live = [bank for bank in current if not bank.get("Blocked")]
        same = [bank for bank in live if bank.get("BankAccount") == relation.iban]
        for bank in live:
            if bank not in same:  # the old IBAN stays for the history, blocked
                self.conn.put(BANK_ACCOUNTS, str(bank["ID"]), {"Blocked": True, "Main": False})
        if same:
            if (same[0].get("BICCode") or None) != relation.bic:
                self.conn.put(BANK_ACCOUNTS, str(same[0]["ID"]), {"BICCode": relation.bic})
        elif relation.iban:
            self.conn.post(
                BANK_ACCOUNTS, bank_body(remote_id, relation.iban, relation.bic), reference=None
            )

    def deactivate(self, remote_id: str) -> None:
        """Block the account (§5.1: ``Blocked`` is the active flag, not ``Status``)."""
        self.conn.put(ACCOUNTS, remote_id, {"Blocked": True})

    # -- contacts ------------------------------------------------------------------------

    def _contact_record(
        self, row: Mapping[str, Any], crm_key: str | None = None
    ) -> RemoteRecord[Contact]:
        return RemoteRecord(
            administration=self.administration,
            remote_id=str(row["ID"]),
            data=contact_from_row(row),
            crm_key=crm_key,
            modified_at=parse_date(row.get("Modified")),
        )

    def contacts(self, relation_remote_id: str) -> list[RemoteRecord[Contact]]:
        """The contacts of an account."""
        params = {"$filter": f"Account eq {guid_literal(relation_remote_id)}"}
        return [self._contact_record(row) for row in self.conn.rows(CONTACTS, params)]

    def create_contact(
        self, relation_remote_id: str, contact: Contact, reference: str
    ) -> RemoteRecord[Contact]:
        """POST a contact of the account (one call)."""
        contact = normalize_contact(contact)
        row = self.conn.post(
            CONTACTS, contact_body(relation_remote_id, contact), reference=reference
        )
        return self._contact_record(row, crm_key=reference)

    def update_contact(self, remote_id: str, contact: Contact) -> RemoteRecord[Contact]:
        """PUT every contact field (an overwrite); returns what was written."""
        contact = normalize_contact(contact)
        self.conn.put(CONTACTS, remote_id, contact_body(None, contact))
        row = {"ID": remote_id, **contact_body(None, contact)}
        record = self._contact_record(row)
        return RemoteRecord(
            administration=record.administration,
            remote_id=record.remote_id,
            data=record.data,
            modified_at=self.clock.now(),
        )
