"""Matching a not-yet-linked CRM relation against what an administration already holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from finlink.backends.protocol import RelationKeys as LookupKeys
from finlink.backends.records import RemoteRecord
from finlink.model.enums import RelationRole
from finlink.model.normalize import normalize_relation
from finlink.model.relation import Relation
from finlink.sync._run import AdministrationRun, Run
from finlink.sync.candidates import CandidateIndex, relation_keys
from finlink.sync.decisions import MatchDecision, MatchOutcome
from finlink.sync.match_keys import MatchKeys
from finlink.sync.matching import MatchPipeline
from finlink.sync.payloads import relation_payload
from finlink.sync.report import OperationKind, _ReadOnlyMapping

__all__ = ["MatchResult", "match_relation", "remember_created"]

#: Up to this many unlinked relations in a run, candidates are looked up per relation by its
#: identifiers (a call each); above it, the administration is read once in full and indexed.
TARGETED_LOOKUP_LIMIT = 25


@attrs.frozen(kw_only=True)
class MatchResult:
    """What matching decided, in the terms the engine acts on."""

    kind: OperationKind
    record: RemoteRecord[Relation] | None = None
    match: Mapping[str, Any] | None = None
    reason: str = ""
    candidates: tuple[dict[str, Any], ...] = ()
    #: The subject's match keys, when the pipeline computed them here: a create hands them
    #: to :func:`remember_created`, which takes over those the new record shares.
    keys: MatchKeys | None = None


def _index(run: Run, adm: AdministrationRun, relation: Relation) -> CandidateIndex:
    role = _split_role(adm, relation)
    if role is not None:
        # A backend that holds one role per relation: only relations of this half's role can be
        # this half (the other half of the same CRM relation must never be linked to it).
        _full_read(adm)
        if role not in adm.role_indexes:
            records = [r for r in adm.candidates or () if role in r.data.roles]
            adm.role_indexes[role] = CandidateIndex.from_records(records)
        return adm.role_indexes[role]
    if adm.index is not None:
        return adm.index
    if adm.candidates is None and run.unlinked <= TARGETED_LOOKUP_LIMIT:
        # A few records (real-time pushes): ask for candidates by identifier instead of reading
        # the whole administration.
        keys = _lookup_keys(relation)
        found = list(adm.backend.find_relations(keys)) if not keys.is_empty() else []
        return CandidateIndex.from_records(found)
    _full_read(adm)
    adm.index = CandidateIndex.from_records(adm.candidates or ())
    return adm.index


def _full_read(adm: AdministrationRun) -> None:
    if adm.candidates is None:
        adm.candidates = list(adm.backend.read_relations(None).records)
    if adm.records is None:
        adm.records = {r.remote_id: r for r in adm.candidates}


def _split_role(adm: AdministrationRun, relation: Relation) -> RelationRole | None:
    if adm.backend.capabilities.customer_and_supplier or len(relation.roles) != 1:
        return None
    return next(iter(relation.roles))


def _lookup_keys(relation: Relation) -> LookupKeys:
    clean = normalize_relation(relation)
    address = clean.address
    return LookupKeys(
        vat_number=clean.vat_number,
        coc_number=clean.coc_number,
        iban=clean.iban,
        email=clean.email,
        name=clean.name,
        postcode=address.postcode if address else None,
    )


def match_relation(
    run: Run, name: str, adm: AdministrationRun, relation: Relation, *, entity: str, reference: str
) -> MatchResult:
    """Decide link / review / create for ``relation`` in administration ``name``."""
    index = _index(run, adm, relation)
    # The remote side carries finlink's reference as its CRM key: match under that name.
    subject = attrs.evolve(relation, id=reference) if reference != relation.id else relation
    keys: MatchKeys | None = None
    if type(run.matcher).match is MatchPipeline.match:
        # What MatchPipeline.match does, with the keys kept for remember_created.
        keys = index.keys_for(subject)
        decision = run.matcher.decide(keys, index)
    else:
        decision = run.matcher.match(subject, index)
    if decision.outcome is MatchOutcome.CREATE:
        return MatchResult(kind=OperationKind.CREATE, match=_create_info(decision), keys=keys)
    info = _describe(decision)
    candidates = tuple(
        {"remote_id": alt.remote_id, "score": alt.score, "evidence": list(alt.evidence)}
        for alt in decision.alternatives
    )
    best = decision.remote_id
    if decision.outcome is MatchOutcome.REVIEW or best is None:
        top = ({"remote_id": best, "score": decision.score, "evidence": list(decision.evidence)},)
        return MatchResult(
            kind=OperationKind.REVIEW,
            match=info,
            reason=f"possible match ({decision.rule}, {decision.score}): {decision.explanation}",
            candidates=_with_records(adm, index, (*(top if best else ()), *candidates)),
        )
    run.flush()  # a link this run made but has not committed yet must be seen here
    taken = run.store.get_link_by_remote(name, entity, best)
    if taken is not None and taken.crm_key != relation.id:
        return MatchResult(
            kind=OperationKind.REVIEW,
            match=info,
            reason=f"matches {best} ({decision.explanation}), which is already linked to CRM "
            f"relation {taken.crm_key}: a duplicate in the CRM?",
            candidates=_with_records(
                adm, index, ({"remote_id": best, "score": decision.score}, *candidates)
            ),
        )
    record = adm.records.get(best) if adm.records else None
    if record is None:
        record = adm.backend.get_relation(best)
    return MatchResult(kind=OperationKind.LINK, record=record, match=info)


#: Up to this many indexed relations, the candidates' records are looked up in the index by
#: a scan; a larger index comes from a full read, whose records are kept by id anyway.
_SCANNED_INDEX = 1000


def _with_records(
    adm: AdministrationRun, index: CandidateIndex, candidates: tuple[dict[str, Any], ...]
) -> tuple[dict[str, Any], ...]:
    """The candidates with their remote records (``"record"``, the review payload's form).

    A review screen then shows each candidate beside the CRM record without calling the
    vendor; the records are at hand here, read for matching.
    """
    wanted = {c.get("remote_id") for c in candidates} - {None}
    found: dict[str, Relation] = {}
    if adm.records is not None:
        found = {r: adm.records[r].data for r in wanted if r in adm.records}
    if len(found) < len(wanted) and len(index) <= _SCANNED_INDEX:
        found.update({k.record_id: k.relation for k in index if k.record_id in wanted - set(found)})
    return tuple(
        {**c, "record": relation_payload(found[c["remote_id"]])}
        if c.get("remote_id") in found
        else c
        for c in candidates
    )


#: Shared match descriptions of creates, by (rule, score, evidence); bounded.
_CREATE_INFO: dict[tuple[str, Any, str], Mapping[str, Any]] = {}


def _create_info(decision: MatchDecision) -> Mapping[str, Any]:
    """The match description of a create: one shared read-only object for identical ones.

    Nearly every record of an initial sync is created with the same description ("no
    relation in the administration is close enough"); its operation keeps it for the whole
    run's report, so one shared object instead of a dict and a list per record saves about
    300 bytes a record.
    """
    if decision.alternatives:
        return _describe(decision)
    key = (decision.rule, decision.score, decision.explanation)
    info = _CREATE_INFO.get(key)
    if info is None:
        if len(_CREATE_INFO) >= 256:
            _CREATE_INFO.clear()  # near misses each explain differently: keep it bounded
        info = _CREATE_INFO[key] = _ReadOnlyMapping(
            {"rule": key[0], "score": key[1], "evidence": key[2], "alternatives": ()}
        )
    return info


def _describe(decision: MatchDecision) -> dict[str, Any]:
    return {
        "rule": decision.rule,
        "score": decision.score,
        "evidence": decision.explanation,
        "alternatives": [
            {"remote_id": a.remote_id, "score": a.score} for a in decision.alternatives
        ],
    }


def remember_created(
    adm: AdministrationRun, record: RemoteRecord[Relation], *, like: MatchKeys | None = None
) -> None:
    """Add a relation created in this run to the index, so a duplicate later in the batch links.

    ``like`` is the subject's keys from matching (:attr:`MatchResult.keys`): the keys the
    record shares with it are taken over, not computed again (the record is the backend's
    view, so only keys whose inputs are equal in both are; see :func:`match_keys`).
    """
    data = record.data
    keys = relation_keys(data, record_id=record.remote_id, crm_key=record.crm_key, like=like)
    if adm.index is not None:
        adm.index.add(keys)
    for role, index in adm.role_indexes.items():
        if role in data.roles:
            index.add(keys)
    # Only the match keys are kept, not the record: a later relation that matches it is a
    # duplicate in the CRM and goes to review (the record is linked already), so its data is
    # never needed here; were it needed, it is read by id. A long batch then keeps little.
