"""The CRM data of the crash test: phase 1 creates, phase 2 changes and adds."""

from __future__ import annotations

import attrs

from finlink import Relation
from tests.sync.engine_helpers import crm_relation

SIZE = 8


def crm_state(phase: int) -> list[Relation]:
    """The CRM's relations in ``phase`` (1 or 2)."""
    relations = [crm_relation(i) for i in range(SIZE)]
    if phase == 1:
        return relations
    changed = [
        attrs.evolve(r, email=f"fase2-{i}@firma{i}.nl") if i % 2 == 0 else r
        for i, r in enumerate(relations)
    ]
    return [*changed, crm_relation(SIZE), crm_relation(SIZE + 1)]
