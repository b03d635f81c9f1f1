"""The fast path for unchanged relations: a fingerprint compare, no normalisation, no calls.

A relation's fingerprint (a digest of the record exactly as the CRM gave it) is stored in the
snapshot of every link it made, once everything about it — the relation and its contacts — was
sent. Next time, an equal fingerprint and no change known on the accounting side mean there is
nothing to do. For a large batch, the fingerprints of an administration are read in one go.
"""

from __future__ import annotations

from finlink.model.relation import Relation
from finlink.sync._relations import RELATION, SUPPLIER_HALF, is_split
from finlink.sync._run import Run

__all__ = ["PRELOAD_THRESHOLD", "is_linked", "is_unchanged", "link_entry", "preload"]

#: From this many relations in one batch, every link fingerprint is read at once.
PRELOAD_THRESHOLD = 200


def _entities(run: Run, name: str, relation: Relation) -> tuple[str, ...]:
    split = is_split(relation, run.administrations[name])
    return (RELATION, SUPPLIER_HALF) if split else (RELATION,)


def preload(run: Run) -> None:
    """Read the link fingerprints of every administration (for a large batch)."""
    for name in run.administrations:
        for entity in (RELATION, SUPPLIER_HALF):
            run.fingerprints[(name, entity)] = {
                key: (remote_id, version, fingerprint)
                for key, remote_id, version, fingerprint in run.store.link_fingerprints(
                    name, entity
                )
            }


def link_entry(
    run: Run, name: str, entity: str, crm_key: str
) -> tuple[str, str | None, str | None] | None:
    """(remote id, remote version, fingerprint) of a link, or None: preloaded or read."""
    table = run.fingerprints.get((name, entity))
    if table is not None:
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
