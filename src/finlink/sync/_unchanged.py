"""The fast path for unchanged relations: a fingerprint compare, no normalisation, no calls.

A relation's fingerprint (a digest of the record exactly as the CRM gave it) is stored in the
snapshot of every link it made, once everything about it — the relation and its contacts — was
sent; the store keeps it in a column of its own. Next time, an equal fingerprint and no change
known on the accounting side mean there is nothing to do: no validation, no normalisation, no
snapshot read, no report object.

The fingerprints of a chunk of relations are read in one query per administration
(:meth:`~finlink.sync.store.StateStore.link_fingerprints_for`), so memory holds one chunk's,
however many links the store has. A store without that method gets the earlier behaviour: a
large batch reads every fingerprint of the administration at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from finlink.model.relation import Relation
from finlink.sync._relations import RELATION, SUPPLIER_HALF, is_split
from finlink.sync._run import Run

__all__ = [
    "PRELOAD_THRESHOLD",
    "can_look_up_chunks",
    "is_linked",
    "is_unchanged",
    "link_entry",
    "load_chunk",
    "preload",
]

#: From this many relations in one batch, a store without chunk look-ups has every link
#: fingerprint read at once.
PRELOAD_THRESHOLD = 200


def _entities(run: Run, name: str, relation: Relation) -> tuple[str, ...]:
    split = is_split(relation, run.administrations[name])
    return (RELATION, SUPPLIER_HALF) if split else (RELATION,)


def can_look_up_chunks(run: Run) -> bool:
    """Whether the store reads the fingerprints of a chunk of keys in one go."""
    return callable(getattr(run.store, "link_fingerprints_for", None))


def preload(run: Run) -> None:
    """Read the link fingerprints of every administration (a store without chunk look-ups)."""
    for name in run.administrations:
        for entity in (RELATION, SUPPLIER_HALF):
            run.fingerprints[(name, entity)] = {
                key: (remote_id, version, fingerprint)
                for key, remote_id, version, fingerprint in run.store.link_fingerprints(
                    name, entity
                )
            }
            run.whole_tables.add((name, entity))


def load_chunk(run: Run, relations: Sequence[Relation]) -> None:
    """Read the link fingerprints of one chunk of relations: a query per administration.

    Replaces the previous chunk's, so memory holds one chunk's whatever the batch. A record
    of the chunk whose outcome waits for the next commit (the same key earlier in the batch)
    has it committed first, so the fingerprint read is the latest.
    """
    lookup = run.store.link_fingerprints_for
    for name, adm in run.administrations.items():
        for entity in (RELATION, SUPPLIER_HALF):
            if (name, entity) in run.whole_tables:
                continue
            keys = [r.id for r in relations if entity == RELATION or is_split(r, adm)]
            if run.deferred_keys and any((name, entity, k) in run.deferred_keys for k in keys):
                run.flush()
            # Every key asked is in the table: None says "no link" without asking again.
            table: dict[str, tuple[str, str | None, str | None] | None] = dict.fromkeys(keys)
            if keys:
                for key, remote_id, version, fingerprint in lookup(name, entity, keys):
                    table[key] = (remote_id, version, fingerprint)
            run.fingerprints[(name, entity)] = table


def link_entry(
    run: Run, name: str, entity: str, crm_key: str
) -> tuple[str, str | None, str | None] | None:
    """(remote id, remote version, fingerprint) of a link, or None: preloaded or read."""
    table = run.fingerprints.get((name, entity))
    if table is not None and (crm_key in table or (name, entity) in run.whole_tables):
        return table.get(crm_key)
    link = run.get_link(name, entity, crm_key)
    if link is None:
        return None
    fingerprint = (link.snapshot or {}).get("fingerprint")
    return (
        link.remote_id,
        link.remote_version,
        fingerprint if isinstance(fingerprint, str) else None,
    )


def is_linked(run: Run, name: str, crm_key: str) -> bool:
    """Whether the relation has a link in the administration."""
    return link_entry(run, name, RELATION, crm_key) is not None


def is_unchanged(run: Run, name: str, relation: Relation, fingerprint: str) -> bool:
    """True (and the skip counted) when nothing about ``relation`` needs sending to ``name``."""
    adm = run.administrations[name]
    if (name, RELATION) in run.whole_tables:
        # Read before the run: a relation met before in this batch may have been written
        # since, so its entry is not evidence. Compared in full instead (it reads its link).
        if (name, relation.id) in run.seen:
            return False
        run.seen.add((name, relation.id))
    found: list[tuple[str, str]] = []
    for entity in _entities(run, name, relation):
        entry = link_entry(run, name, entity, relation.id)
        if entry is None or entry[2] != fingerprint:
            return False
        remote_id, version, _ = entry
        if remote_id in adm.deleted:
            return False
        changed = adm.remote_changes.get(remote_id)
        # An incremental read also returns finlink's own last write: the same version is no
        # change by the accountant.
        if changed is not None and (version is None or changed.version != version):
            return False
        found.append((entity, remote_id))
    # Counted, not listed: an unchanged record makes no report object (a large batch of them
    # stays small); the keys are kept only when the host asked for them.
    unchanged = run.report.unchanged
    run.skipped += 1
    for entity, _ in found:
        unchanged[(name, entity)] = unchanged.get((name, entity), 0) + 1
        if run.unchanged_keys:
            run.report.unchanged_keys.setdefault((name, entity), []).append(relation.id)
    return True
