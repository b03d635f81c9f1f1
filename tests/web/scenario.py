"""A small world for the web view's tests: reviews, a failed record, a hostile name."""

from __future__ import annotations

import attrs

from finlink import Relation
from finlink._errors import ServerError
from finlink.backends.faults import FailWith
from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.sync import ConflictPolicy, SQLiteStore, SyncEngine, field_ownership
from finlink.sync.store import Review
from finlink.web import WebUser
from tests.sync.engine_helpers import crm_relation

HOSTILE = "<script>alert(1)</script> Bakkerij"
#: The host's users: a session cookie value to the user it stands for (None: refused).
SESSIONS: dict[str, WebUser | None] = {
    "anna-session": WebUser(id="anna@example.nl", name="Anna de Boer"),
    "bert-session": WebUser(id="bert@example.nl"),
    "mallory-session": None,
}
SESSION_COOKIE = "host_session"
#: The policy of the scenario: a person decides e-mail and IBAN conflicts.
PEOPLE_DECIDE = field_ownership({"email": "manual", "iban": "manual"})


def host_authenticate(request: object) -> WebUser | None:
    """The host's own login, as a test stands it in: a session cookie."""
    cookies: dict[str, str] = request.cookies  # type: ignore[attr-defined]
    return SESSIONS.get(cookies.get(SESSION_COOKIE, ""))


@attrs.define
class Scenario:
    """The engine and what the tests look for."""

    clock: SimulatedClock
    exact: InMemoryBackend
    snel: InMemoryBackend
    store: SQLiteStore
    engine: SyncEngine
    crm: dict[str, Relation]
    twins: tuple[str, str]

    def review_of(self, crm_key: str) -> Review:
        (item,) = [r for r in self.store.reviews() if r.crm_key == crm_key]
        return item


def _twins(backend: InMemoryBackend, relation: Relation) -> tuple[str, str]:
    twin = attrs.evolve(relation, coc_number=None, email=None, contacts=())
    first = backend.add_existing_relation(attrs.evolve(twin, id="old-a"))
    second = backend.add_existing_relation(attrs.evolve(twin, id="old-b", phone="030 123 4567"))
    return first, second


def build(
    *,
    reviews: int = 0,
    conflict_policy: ConflictPolicy = PEOPLE_DECIDE,
) -> Scenario:
    """Two administrations; an ambiguous match (crm-0), a hostile name (crm-1) waiting for
    review, a record that failed for a passing reason (crm-9, in the error log), and
    ``reviews`` more review items for paging."""
    clock = SimulatedClock()
    exact = InMemoryBackend(administration="exact:1", clock=clock)
    snel = InMemoryBackend(administration="snelstart:2", clock=clock)
    store = SQLiteStore(":memory:", clock=clock)
    engine = SyncEngine(
        store=store, backends=[exact, snel], clock=clock, conflict_policy=conflict_policy
    )
    plain = crm_relation(0, coc_number=None)
    hostile = crm_relation(1, coc_number=None, name=HOSTILE)
    twins = _twins(exact, plain)
    _twins(exact, hostile)
    engine.sync_relations([plain, hostile])
    failing = crm_relation(9)
    outage = ServerError("503 Service Unavailable", status_code=503)
    exact.inject("create_relation", FailWith(outage))
    engine.notify(failing)
    engine.process_outbox()
    # crm-5 in snelstart:2: both sides change the e-mail address and the IBAN (the policy
    # leaves those two to a person).
    owned = crm_relation(5, iban="NL91ABNA0417164300")
    engine.sync_relations([owned])
    link = store.get_link("snelstart:2", "relation", "crm-5")
    assert link is not None
    snel.edit_relation(link.remote_id, email="boekhouder@firma5.nl", iban="NL20INGB0001234567")
    owned = attrs.evolve(owned, email="crm@firma5.nl", iban="NL02ABNA0123456789")
    engine.sync_relations([owned])
    for n in range(reviews):
        store.add_review(
            "snelstart:2",
            "relation",
            f"bulk-{n:05d}",
            reason="possible match (name, 80): similar name",
            candidates=[{"remote_id": f"r-{n}", "score": 80, "evidence": ["similar name"]}],
            payload={"id": f"bulk-{n:05d}", "name": f"Relatie {n}"},
        )
    return Scenario(
        clock=clock,
        exact=exact,
        snel=snel,
        store=store,
        engine=engine,
        crm={r.id: r for r in (plain, hostile, failing, owned)},
        twins=twins,
    )
