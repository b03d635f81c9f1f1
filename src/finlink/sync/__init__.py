"""The sync engine: matching, conflicts, routing, the state store and the engine itself.

Start with :class:`SyncEngine`; the rest are the parts a host composes or replaces:
:class:`~finlink.sync.store.SQLiteStore` (the embedded state store), a :class:`Router`, a
:class:`MatchPipeline`, a conflict policy (:func:`crm_wins` and friends), per-administration
:class:`AdministrationSettings` and :class:`EngineHooks`. :class:`Worker` drains the outboxes of
many tenants from a long-running process.
"""

from finlink.sync.conflicts import (
    ConflictPolicy,
    FieldConflict,
    FieldVersions,
    Resolution,
    accounting_wins,
    conflict_remote_id,
    conflict_versions,
    crm_wins,
    field_ownership,
    is_conflict,
    manual,
    newest_wins,
)
from finlink.sync.decisions import MatchConfig, MatchDecision, MatchOutcome
from finlink.sync.engine import AdministrationStatus, SyncEngine
from finlink.sync.matching import DuplicateGroup, MatchPipeline, find_duplicates
from finlink.sync.report import (
    ConflictDecision,
    InboundChange,
    Operation,
    OperationKind,
    Outcome,
    OutcomeStatus,
    Plan,
    SyncReport,
)
from finlink.sync.routing import DefaultRouter, Router, by_extra_field
from finlink.sync.settings import AdministrationSettings, CrmLookup, EngineHooks
from finlink.sync.store import SQLiteStore, StateStore
from finlink.sync.worker import HealthServer, TenantHealth, Worker, WorkerHealth

__all__ = [
    "AdministrationSettings",
    "AdministrationStatus",
    "ConflictDecision",
    "ConflictPolicy",
    "CrmLookup",
    "DefaultRouter",
    "DuplicateGroup",
    "EngineHooks",
    "FieldConflict",
    "FieldVersions",
    "HealthServer",
    "InboundChange",
    "MatchConfig",
    "MatchDecision",
    "MatchOutcome",
    "MatchPipeline",
    "Operation",
    "OperationKind",
    "Outcome",
    "OutcomeStatus",
    "Plan",
    "Resolution",
    "Router",
    "SQLiteStore",
    "StateStore",
    "SyncEngine",
    "SyncReport",
    "TenantHealth",
    "Worker",
    "WorkerHealth",
    "accounting_wins",
    "by_extra_field",
    "conflict_remote_id",
    "conflict_versions",
    "crm_wins",
    "field_ownership",
    "find_duplicates",
    "is_conflict",
    "manual",
    "newest_wins",
]
