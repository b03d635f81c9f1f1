"""A tiny backend that keeps relations in a dict: the "Writing a backend" tutorial's code.

It claims only the ``relations`` feature, so the conformance suite tests relations and skips
the rest.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import date

import attrs

from finlink import (
    Attachment,
    Booking,
    BookingKind,
    Contact,
    NotFoundError,
    OpenItem,
    Project,
    ProjectCost,
    Relation,
)
from finlink.backends import (
    Capabilities,
    ChangeSet,
    Feature,
    ReferenceData,
    RelationKeys,
    RemoteRecord,
)


class TinyBackend:
    """Relations in a dict; every write bumps a change counter that serves as the cursor."""

    def __init__(self, administration: str = "tiny") -> None:
        self.administration = administration
        self.name = f"Tiny administration {administration}"
        self.capabilities = Capabilities(features=frozenset({Feature.RELATIONS}))
        self._rows: dict[str, tuple[Relation, str, int, bool]] = {}
        self._ids = itertools.count(1)
        self._changes = itertools.count(1)
        self._last_change = 0

    # -- helpers ------------------------------------------------------------------

    def _stamp(self) -> int:
        self._last_change = next(self._changes)
        return self._last_change

    def _record(self, remote_id: str) -> RemoteRecord[Relation]:
        relation, reference, change, active = self._rows[remote_id]
        return RemoteRecord(
            administration=self.administration,
            remote_id=remote_id,
            data=attrs.evolve(relation, id=reference),
            crm_key=reference,
            version=str(change),
            active=active,
        )

    # -- relations ----------------------------------------------------------------

    def find_relations(self, keys: RelationKeys) -> Sequence[RemoteRecord[Relation]]:
        found = []
        for remote_id, (relation, reference, _, _) in self._rows.items():
            if (
                keys.reference == reference
                or (keys.vat_number and keys.vat_number == relation.vat_number)
                or (keys.coc_number and keys.coc_number == relation.coc_number)
                or (keys.iban and keys.iban == relation.iban)
            ):
                found.append(self._record(remote_id))
        return found

    def get_relation(self, remote_id: str) -> RemoteRecord[Relation]:
        if remote_id not in self._rows:
            raise NotFoundError(f"no relation {remote_id}", status_code=404)
        return self._record(remote_id)

    def read_relations(self, cursor: str | None = None) -> ChangeSet[Relation]:
        since = int(cursor or 0)
        changed = [rid for rid, row in self._rows.items() if row[2] > since]
        return ChangeSet(
            records=tuple(self._record(rid) for rid in changed),
            cursor=str(self._last_change),
            full=cursor is None,
        )

    def create_relation(self, relation: Relation, *, reference: str) -> RemoteRecord[Relation]:
        remote_id = f"tiny-{next(self._ids)}"
        self._rows[remote_id] = (relation, reference, self._stamp(), True)
        return self._record(remote_id)

    def update_relation(
        self, remote_id: str, relation: Relation, *, fields: frozenset[str]
    ) -> RemoteRecord[Relation]:
        old, reference, _, active = self._rows[remote_id]
        new = attrs.evolve(old, **{name: getattr(relation, name) for name in fields})
        self._rows[remote_id] = (new, reference, self._stamp(), active)
        return self._record(remote_id)

    def deactivate_relation(self, remote_id: str) -> None:
        relation, reference, _, _ = self._rows[remote_id]
        self._rows[remote_id] = (relation, reference, self._stamp(), False)

    # -- everything else: not claimed in capabilities.features ---------------------

    def list_contacts(self, relation_remote_id: str) -> Sequence[RemoteRecord[Contact]]:
        raise NotImplementedError

    def create_contact(
        self, relation_remote_id: str, contact: Contact, *, reference: str
    ) -> RemoteRecord[Contact]:
        raise NotImplementedError

    def update_contact(
        self, relation_remote_id: str, remote_id: str, contact: Contact
    ) -> RemoteRecord[Contact]:
        raise NotImplementedError

    def find_project(self, number: str) -> RemoteRecord[Project] | None:
        raise NotImplementedError

    def create_project(self, project: Project) -> RemoteRecord[Project]:
        raise NotImplementedError

    def update_project(self, remote_id: str, project: Project) -> RemoteRecord[Project]:
        raise NotImplementedError

    def deactivate_project(self, remote_id: str) -> None:
        raise NotImplementedError

    def create_booking(
        self,
        booking: Booking,
        *,
        relation_remote_id: str,
        project_numbers: Mapping[str, str],
        reference: str,
    ) -> RemoteRecord[Booking]:
        raise NotImplementedError

    def attach_document(self, booking_remote_id: str, attachment: Attachment) -> str:
        raise NotImplementedError

    def find_booking(self, kind: BookingKind, reference: str) -> RemoteRecord[Booking] | None:
        raise NotImplementedError

    def read_open_items(
        self, cursor: str | None = None, *, relation_remote_id: str | None = None
    ) -> ChangeSet[OpenItem]:
        raise NotImplementedError

    def read_project_costs(
        self, project_number: str, *, since: date | None = None
    ) -> Sequence[ProjectCost]:
        raise NotImplementedError

    def reference_data(self, *, refresh: bool = False) -> ReferenceData:
        raise NotImplementedError
