"""``/relaties``: find, read, create, update and deactivate relations, and their one contact.

Writes follow SnelStart's rules (snelstart.md §3.1, §4): there are no ETags and a PUT takes the
whole ``RelatieWriteModel`` (whether omitted properties are cleared is UNVERIFIED), so every
update is GET → change the named fields → PUT, which keeps what the bookkeeper changed in the
other fields. The company's own relatie (soort ``Eigen``, §3.1) is never returned.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from finlink._errors import NotFoundError, Problem, RemoteValidationError, ValidationError
from finlink.backends.protocol import ChangeSet, RelationKeys
from finlink.backends.records import RemoteRecord
from finlink.backends.snelstart.context import Context
from finlink.backends.snelstart.cursors import Cursor, advance
from finlink.backends.snelstart.limits import MAX_PAGE_SIZE
from finlink.backends.snelstart.mapping import (
    IGNORED_FIELDS,
    SUPPLIER_SUFFIX,
    apply_contact,
    contact_from_wire,
    contact_remote_id,
    memo_parts,
    normalize_btw,
    reference_filter,
    relation_fields,
    relation_from_wire,
    with_reference,
)
from finlink.backends.snelstart.wire import aware, odata_datetime, odata_string, parse_datetime
from finlink.http import iter_skip_top
from finlink.model.normalize import normalize_contact, normalize_relation
from finlink.model.relation import Contact, Relation

__all__ = ["Relations"]

logger = logging.getLogger("finlink.backends.snelstart")

_STREAM = "relaties"
_ALL_FIELDS = (
    "name", "roles", "number", "visiting_address", "postal_address", "email", "phone", "mobile",
    "website", "vat_number", "coc_number", "iban", "bic", "payment_term_days", "active",
    "currency",
)  # fmt: skip
#: Read-only properties of ``RelatieModel`` that ``RelatieWriteModel`` lacks (SPEC).
_READ_ONLY = ("fax",)


def _is_relation(body: Mapping[str, Any]) -> bool:
    # The own company (soort Eigen) is in /relaties too (§3.1) but is no debtor or creditor.
    return any(s in ("Klant", "Leverancier") for s in body.get("relatiesoort") or ())


class Relations:
    """The relation part of the backend, on one administration's :class:`Context`."""

    def __init__(self, ctx: Context, *, supplier_code_offset: int | None) -> None:
        self._ctx = ctx
        self._supplier_offset = supplier_code_offset

    # -- mapping ----------------------------------------------------------------------------

    def record(self, body: Mapping[str, Any]) -> RemoteRecord[Relation]:
        """A relatie as the remote record the engine sees."""
        countries = self._ctx.refs.get().land_isos
        relation, reference = relation_from_wire(body, countries)
        return RemoteRecord(
            administration=self._ctx.administration,
            remote_id=str(body["id"]),
            data=relation,
            crm_key=reference,
            version=str(body.get("modifiedOn") or "") or None,
            modified_at=aware(parse_datetime(body.get("modifiedOn")), self._ctx.zone),
            active=not body.get("nonactief"),
        )

    def _list(self, filter_: str | None) -> list[dict[str, Any]]:
        params = {"$filter": filter_} if filter_ else None
        rows = iter_skip_top(self._ctx.api.get_json, "/relaties", params, page_size=MAX_PAGE_SIZE)
        unique: dict[str, dict[str, Any]] = {}
        for row in rows:
            # $skip paging over a list that changes can show a row twice: keep it once.
            unique.setdefault(str(row["id"]), row)
        return list(unique.values())

    def _get(self, remote_id: str) -> dict[str, Any]:
        body = self._ctx.api.get_json(f"/relaties/{remote_id}")
        if not isinstance(body, dict) or not _is_relation(body):
            raise NotFoundError(
                f"SnelStart has no relatie {remote_id}",
                status_code=404,
                administration=self._ctx.administration,
            )
        return body

    def _put(self, remote_id: str, body: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in body.items() if k not in _READ_ONLY}
        answer = self._ctx.api.request_json("PUT", f"/relaties/{remote_id}", json=out)
        return answer if isinstance(answer, dict) else out

    def _offset(self, reference: str) -> int | None:
        # The supplier half of a split relation: see mapping's module docstring.
        return self._supplier_offset if reference.endswith(SUPPLIER_SUFFIX) else 0

    # -- reads ------------------------------------------------------------------------------

    def find(self, keys: RelationKeys) -> Sequence[RemoteRecord[Relation]]:
        """Relaties matching any key, in one call (plus pages)."""
        clauses = _clauses(keys)
        if not clauses:
            return []
        rows = self._list(" or ".join(clauses))
        return [self.record(r) for r in rows if _is_relation(r) and _matches(r, keys)]

    def get(self, remote_id: str) -> RemoteRecord[Relation]:
        """One relatie by GUID."""
        return self.record(self._get(remote_id))

    def read(self, cursor: str | None) -> ChangeSet[Relation]:
        """All relaties, or those changed since ``cursor`` (see :mod:`.cursors`)."""
        previous = Cursor.decode(cursor) if cursor else None
        since = previous.lower_bound(_STREAM, self._ctx.overlap) if previous else None
        filter_ = f"ModifiedOn ge {odata_datetime(since)}" if since else None
        started = self._ctx.server_now()
        rows = self._list(filter_)
        fresh = [r for r in rows if previous is None or previous.is_new(r)]
        records = tuple(self.record(r) for r in fresh if _is_relation(r))
        following = advance(previous, {_STREAM: rows}, self._ctx.overlap, started)
        return ChangeSet(records=records, cursor=following.encode(), full=previous is None)

    # -- writes -----------------------------------------------------------------------------

    def create_body(self, relation: Relation, reference: str) -> dict[str, Any]:
        """The POST body for ``relation`` (checked, without contacts)."""
        relation = normalize_relation(relation)
        lands = self._ctx.refs.get().land_ids
        body = relation_fields(
            relation,
            _ALL_FIELDS,
            lands=lands,
            code_offset=self._offset(reference),
        )
        body.pop("nonactief", None)
        if not relation.active:
            body["nonactief"] = True
        body["memo"] = with_reference(None, reference)
        return {k: v for k, v in body.items() if v is not None}

    def create(self, relation: Relation, reference: str) -> RemoteRecord[Relation]:
        """POST one relatie carrying ``reference``.

        When SnelStart refuses the CRM's number as relatiecode because another relatie has it
        (REL-0008, §5 quirk 1: codes are unique, and SnelStart hands out the next free code to
        relaties made without one, e.g. the supplier half of a split relation), nothing was
        stored, so the relatie is sent once more without a code and SnelStart assigns one.
        The reference in the memo still finds it; the number is logged.
        """
        body = self.create_body(relation, reference)
        try:
            answer = self._ctx.api.request_json("POST", "/relaties", json=body, reference=reference)
        except RemoteValidationError as refused:
            if refused.vendor_code != "REL-0008" or "relatiecode" not in body:
                raise
            logger.warning(
                "relatiecode %s is in use in %s; SnelStart assigns another code to %s",
                body.pop("relatiecode"),
                self._ctx.administration,
                reference,
            )
            answer = self._ctx.api.request_json("POST", "/relaties", json=body, reference=reference)
        return self.record(answer)

    def update(
        self, remote_id: str, relation: Relation, fields: frozenset[str]
    ) -> RemoteRecord[Relation]:
        """GET, change ``fields``, PUT."""
        relation = normalize_relation(relation)
        current = self._get(remote_id)
        wanted = sorted(fields - IGNORED_FIELDS)
        own_reference, _, _ = memo_parts(current.get("memo"))
        changes = relation_fields(
            relation,
            [f for f in wanted if f != "roles"],
            lands=self._ctx.refs.get().land_ids,
            code_offset=self._offset(own_reference or ""),
        )
        if "roles" in fields:
            soort = relation_fields(relation, ["roles"], lands={})["relatiesoort"]
            if soort != list(current.get("relatiesoort") or []):
                raise ValidationError(
                    [
                        Problem(
                            path="roles",
                            rule="soort_fixed",
                            message="SnelStart cannot change a relatie's soort after creation "
                            "(REL-0064); create a new relatie for the other role",
                        )
                    ],
                    subject=f"relation {relation.id!r} for SnelStart",
                )
        if changes.get("relatiecode") is None:
            # Not a number SnelStart can hold: leave the code SnelStart has.
            changes.pop("relatiecode", None)
        for key, value in changes.items():
            if key in ("vestigingsAdres", "correspondentieAdres"):
                # Keep the contact person: it is not part of the relation's address.
                kept = (current.get(key) or {}).get("contactpersoon")
                if value is not None or kept:
                    current[key] = {**(value or {}), "contactpersoon": kept}
                    continue
            current[key] = value
        return self.record(self._put(remote_id, current))

    def deactivate(self, remote_id: str) -> None:
        """Set ``nonactief`` (SnelStart's soft delete, §4)."""
        current = self._get(remote_id)
        current["nonactief"] = True
        self._put(remote_id, current)

    # -- the one contact ----------------------------------------------------------------------

    def _contact_record(self, body: Mapping[str, Any]) -> RemoteRecord[Contact] | None:
        found = contact_from_wire(body)
        if found is None:
            return None
        contact, reference = found
        return RemoteRecord(
            administration=self._ctx.administration,
            remote_id=contact_remote_id(str(body["id"])),
            data=contact,
            crm_key=reference,
            modified_at=aware(parse_datetime(body.get("modifiedOn")), self._ctx.zone),
        )

    def list_contacts(self, relation_remote_id: str) -> list[RemoteRecord[Contact]]:
        """The relatie's contact person, if it has one."""
        record = self._contact_record(self._get(relation_remote_id))
        return [] if record is None else [record]

    def create_contact(
        self, relation_remote_id: str, contact: Contact, reference: str
    ) -> RemoteRecord[Contact]:
        """Set the relatie's one contact person; refuse a second one.

        Raises:
            ValidationError: The relatie has a contact person already (rule ``max_contacts``).
        """
        current = self._get(relation_remote_id)
        existing = contact_from_wire(current)
        if existing is not None:
            if existing[1] == reference:
                # The same create again (after a lost answer): it is there already.
                record = self._contact_record(current)
                assert record is not None
                return record
            raise ValidationError(
                [
                    Problem(
                        path="contacts",
                        rule="max_contacts",
                        message="SnelStart holds one contact person per relatie (the "
                        "vestigingsadres' contactpersoon) and this one has "
                        f"{existing[0].full_name!r} already; update that contact instead",
                        value=contact.full_name,
                    )
                ],
                subject=f"contact {contact.id!r} for SnelStart",
            )
        apply_contact(current, normalize_contact(contact), reference)
        record = self._contact_record(self._put(relation_remote_id, current))
        assert record is not None
        return record

    def update_contact(
        self, relation_remote_id: str, remote_id: str, contact: Contact
    ) -> RemoteRecord[Contact]:
        """Overwrite the relatie's contact person (keeping the reference it was created with)."""
        if remote_id != contact_remote_id(relation_remote_id):
            raise NotFoundError(
                f"{remote_id} is not the contact of relatie {relation_remote_id}",
                administration=self._ctx.administration,
            )
        current = self._get(relation_remote_id)
        existing = contact_from_wire(current)
        reference = existing[1] if existing is not None else None
        apply_contact(current, normalize_contact(contact), reference)
        record = self._contact_record(self._put(relation_remote_id, current))
        assert record is not None
        return record


def _clauses(keys: RelationKeys) -> list[str]:
    """One ``$filter`` clause per key given (UpperCamelCase names, §2.2)."""
    clauses: list[str] = []
    if keys.reference:
        clauses.append(reference_filter(keys.reference))
    if keys.code and keys.code.isdigit() and int(keys.code) < 2**31:
        clauses.append(f"Relatiecode eq {int(keys.code)}")
    if keys.vat_number:
        clauses.append(f"BtwNummer eq {odata_string(normalize_btw(keys.vat_number))}")
    if keys.coc_number:
        clauses.append(f"KvkNummer eq {odata_string(keys.coc_number)}")
    if keys.iban:
        clauses.append(f"Iban eq {odata_string(keys.iban.replace(' ', '').upper())}")
    if keys.email:
        clauses.append(f"tolower(Email) eq {odata_string(keys.email.strip().lower())}")
    if keys.name:
        clauses.append(f"tolower(Naam) eq {odata_string(keys.name.strip().lower())}")
    return clauses


def _matches(row: Mapping[str, Any], keys: RelationKeys) -> bool:
    """Whether a relatie the server found really matches a key (the filter is a superset)."""
    reference, _, _ = memo_parts(row.get("memo"))
    if keys.reference and reference == keys.reference:
        return True
    if keys.code and str(row.get("relatiecode")) == keys.code.strip():
        return True
    pairs = (
        (keys.vat_number, row.get("btwNummer"), normalize_btw),
        (keys.coc_number, row.get("kvkNummer"), str.strip),
        (keys.iban, row.get("iban"), lambda v: v.replace(" ", "").upper()),
        (keys.email, row.get("email"), lambda v: v.strip().lower()),
    )
    for wanted, have, norm in pairs:
        if wanted and isinstance(have, str) and norm(have) == norm(wanted):
            return True
    if keys.name and str(row.get("naam") or "").strip().lower() == keys.name.strip().lower():
        if not keys.postcode:
            return True
        adres = row.get("vestigingsAdres") or {}
        have_pc = str(adres.get("postcode") or "").replace(" ", "").upper()
        return have_pc == keys.postcode.replace(" ", "").upper()
    return False
