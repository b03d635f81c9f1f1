"""Intents for a batch of relations, made durable in one commit before any of them is sent.

Exactly-once writes need an intent with the vendor-stored reference to be durable before the
create that carries it goes out. Committing one intent per create costs a disk flush per
record; reserving the intents of a whole batch of relations (and of their contacts) at once
costs one. An intent reserved for a record that then links, waits for review or fails is
cleared with the next commit; until then it only makes a run after a crash probe for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from finlink._errors import SyncError
from finlink.model.relation import Relation
from finlink.sync._relations import CONTACT, halves, sends_contacts, sent_contact_keys
from finlink.sync._run import Run
from finlink.sync._unchanged import link_entry
from finlink.sync.store import Intent, IntentRequest, begin_intents, get_links

__all__ = ["INTENT_BATCH", "reserve_intents"]

#: Relations whose create intents are committed together. A crash costs at most this many
#: probes (one look-up by reference each) on the next run.
INTENT_BATCH = 128


def reserve_intents(run: Run, batch: Sequence[tuple[Relation, Sequence[str], str | None]]) -> None:
    """Make the create intents of every unlinked relation in ``batch`` durable in one commit.

    ``batch`` holds (relation, administrations it goes to, fingerprint). Each relation (each
    half of a split one) without a link gets an intent with its reference, and so does each
    of its contacts the backend takes (reference: the contact key). Only intents new in this
    run (attempt 1) count as reserved: an older one may stand for a write that reached the
    vendor, so the record probes for it as before.
    """
    wanted = _requests(run, batch)
    run.known_links.clear()  # read for the chunk before; a link read now replaces them
    # The contacts of the batch's linked relations look at their links too (to update or skip
    # them): read those in the same query as the reserved contacts' instead of one by one.
    linked = _linked_contacts(run, batch)
    if not wanted and not linked:
        return
    reserved: dict[tuple[str, str], list[str]] = {}
    with run.writing():
        try:
            # Nested: a store failure undoes only the intents, not the deferred outcomes
            # committed with them; each record then begins its own intent as it goes.
            with run.store.transaction():
                results = begin_intents(run.store, wanted) if wanted else []
                for request, result in zip(wanted, results, strict=True):
                    # A refused one: the record's own step meets the same refusal and
                    # reports it.
                    if isinstance(result, Intent) and result.attempts == 1:
                        group = (request.administration, request.entity)
                        reserved.setdefault(group, []).append(request.crm_key)
                # The reserved contacts' links, read in the same transaction (after this run's
                # deferred outcomes were written): each contact's first look at its link then
                # costs no round trip. A link written later by this run drops its entry. A
                # relation's own link is still read from the store as its turn comes: that
                # read is also how a run notices at once that the store went away, before
                # another relation goes out that it could not record.
                wanted_links = {
                    group: keys for group, keys in reserved.items() if group[1] == CONTACT
                }
                for group, keys in linked.items():
                    wanted_links[group] = wanted_links.get(group, []) + keys
                links = {
                    group: get_links(run.store, *group, keys)
                    for group, keys in wanted_links.items()
                }
        except SyncError:
            return  # each record's own step meets the same trouble and reports it
    for (name, entity), keys in reserved.items():
        for crm_key in keys:
            run.reserved.add((name, entity, crm_key))
    for (name, entity), keys in wanted_links.items():
        found = links[(name, entity)]
        for crm_key in keys:
            run.known_links[(name, entity, crm_key)] = found.get(crm_key)


def _linked_contacts(
    run: Run, batch: Sequence[tuple[Relation, Sequence[str], str | None]]
) -> dict[tuple[str, str], list[str]]:
    """The contact keys of the batch's relations (halves) that already have a link."""
    keys: dict[tuple[str, str], list[str]] = {}
    for relation, names, _ in batch:
        if not relation.contacts:
            continue
        for name in names:
            adm = run.administrations[name]
            if adm.down or not sends_contacts(adm):
                continue
            for entity, half, _ in halves(relation, adm):
                if link_entry(run, name, entity, relation.id) is None:
                    continue  # unlinked: its contacts' links come with their intents
                keys.setdefault((name, CONTACT), []).extend(
                    sent_contact_keys(relation.id, entity, half, adm)
                )
    return keys


def _requests(
    run: Run, batch: Sequence[tuple[Relation, Sequence[str], str | None]]
) -> list[IntentRequest]:
    """The create intents ``batch`` needs: each unlinked relation (half) and its contacts."""
    wanted: list[IntentRequest] = []
    for relation, names, fingerprint in batch:
        for name in names:
            adm = run.administrations[name]
            if adm.down:
                continue
            send_contacts = sends_contacts(adm)
            # The record's fingerprint: a digest of everything about to be sent.
            digest = fingerprint or ""
            for entity, half, reference in halves(relation, adm):
                if link_entry(run, name, entity, relation.id) is not None:
                    continue
                wanted.append(
                    IntentRequest(
                        administration=name,
                        entity=entity,
                        crm_key=relation.id,
                        reference=reference,
                        operation="create",
                        payload_hash=digest,
                    )
                )
                if not send_contacts or not half.contacts:
                    continue
                for key in sent_contact_keys(relation.id, entity, half, adm):
                    wanted.append(
                        IntentRequest(
                            administration=name,
                            entity=CONTACT,
                            crm_key=key,
                            reference=key,
                            operation="create",
                            payload_hash=digest,
                        )
                    )
    return wanted
