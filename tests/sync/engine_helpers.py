"""Builders for engine tests: backends on a simulated clock, a store, an engine, relations."""

from __future__ import annotations

from typing import Any

from finlink import Address, Contact, Relation, RelationRole
from finlink.backends import Capabilities
from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.sync import SQLiteStore, SyncEngine

SNELSTART_LIKE = Capabilities(max_contacts_per_relation=1, customer_and_supplier=False)

# KvK numbers and names distinct per index, so the matcher never confuses two test relations.
_NAMES = ["Bakkerij De Vries", "Installatiebedrijf Jansen", "Adviesbureau Smit", "Hoveniers Bos"]


def crm_relation(i: int, **overrides: Any) -> Relation:
    """A valid CRM customer with two contacts, distinct for each ``i``."""
    fields: dict[str, Any] = {
        "id": f"crm-{i}",
        "name": f"{_NAMES[i % len(_NAMES)]} {i} B.V.",
        "roles": frozenset({RelationRole.CUSTOMER}),
        "visiting_address": Address(
            line1=f"Hoofdstraat {i + 1}", postcode="3511 AB", city="Utrecht", country="NL"
        ),
        "email": f"info@firma{i}.nl",
        "coc_number": f"{30000000 + i}",
        "payment_term_days": 30,
        "contacts": (
            Contact(id="c1", first_name="Jan", last_name=f"Jansen {i}", is_primary=True),
            Contact(id="c2", first_name="Piet", last_name=f"Pietersen {i}"),
        ),
    }
    fields.update(overrides)
    return Relation(**fields)


class World:
    """Two administrations (Exact-like and SnelStart-like), a store and an engine."""

    def __init__(
        self,
        *,
        single: bool = False,
        exact_capabilities: Capabilities | None = None,
        **engine_args: Any,
    ) -> None:
        self.clock = SimulatedClock()
        self.exact = InMemoryBackend(
            administration="exact:1", clock=self.clock, capabilities=exact_capabilities
        )
        self.snel = InMemoryBackend(
            administration="snelstart:2", clock=self.clock, capabilities=SNELSTART_LIKE
        )
        self.store = SQLiteStore(":memory:", clock=self.clock)
        backends = [self.exact] if single else [self.exact, self.snel]
        self.engine = SyncEngine(
            store=self.store, backends=backends, clock=self.clock, **engine_args
        )

    def writes(self, backend: InMemoryBackend) -> int:
        """Calls that change something."""
        return sum(
            n
            for op, n in backend.calls.items()
            if op.startswith(("create", "update", "deactivate", "attach"))
        )

    def reset_calls(self) -> None:
        self.exact.calls.clear()
        self.snel.calls.clear()
