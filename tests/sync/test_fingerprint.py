"""The relation fingerprint: equal for equal records, different when anything sent changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from finlink.model.enums import RelationRole
from finlink.model.relation import Address, Contact, Relation
from finlink.sync.payloads import RELATION_NESTED, record_fingerprint
from tests.sync.engine_helpers import crm_relation


def test_the_fingerprint_reads_every_field_of_a_relation() -> None:
    from finlink.sync import payloads

    covered = set(payloads._RELATION_PLAIN) | set(RELATION_NESTED)
    assert covered == {f.name for f in attrs.fields(Relation)}


def test_equal_relations_have_equal_fingerprints_whatever_the_role_order() -> None:
    both = frozenset({RelationRole.CUSTOMER, RelationRole.SUPPLIER})
    one = crm_relation(1, roles=both, extra={"b": 2, "a": "x"})
    other = crm_relation(1, roles=frozenset(reversed(list(both))), extra={"a": "x", "b": 2})
    assert record_fingerprint(one) == record_fingerprint(other)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Another B.V."),
        ("roles", frozenset({RelationRole.SUPPLIER})),
        ("visiting_address", Address(line1="Kerkstraat 1", city="Utrecht", country="NL")),
        ("postal_address", Address(line1="Postbus 1", city="Utrecht", country="NL")),
        ("email", "other@example.nl"),
        ("payment_term_days", 14),
        ("active", False),
        ("updated_at", datetime(2026, 1, 2, 3, 4, tzinfo=UTC)),
        ("extra", {"segment": "retail"}),
        ("contacts", (Contact(id="c1", first_name="Jan", last_name="Jansen 1"),)),
    ],
)
def test_a_change_in_any_field_changes_the_fingerprint(field: str, value: Any) -> None:
    relation = crm_relation(1)
    changed = attrs.evolve(relation, **{field: value})
    assert record_fingerprint(changed) != record_fingerprint(relation)


def test_a_change_inside_a_contact_changes_the_fingerprint() -> None:
    relation = crm_relation(1)
    first, second = relation.contacts
    changed = attrs.evolve(relation, contacts=(first, attrs.evolve(second, job_title="CFO")))
    assert record_fingerprint(changed) != record_fingerprint(relation)


def test_the_fingerprint_does_not_depend_on_object_sharing_or_the_process() -> None:
    import os
    import subprocess
    import sys

    from finlink.serialization import from_dict, to_dict
    from finlink.testing.datasets import relations

    batch = relations(30, seed=3)
    here = [record_fingerprint(r) for r in batch]
    # Rebuilt from JSON, nothing is shared with the originals (strings, contacts, roles).
    assert [record_fingerprint(from_dict(to_dict(r), Relation)) for r in batch] == here
    code = (
        "from finlink.sync.payloads import record_fingerprint\n"
        "from finlink.testing.datasets import relations\n"
        "print(' '.join(record_fingerprint(r) for r in relations(30, seed=3)))\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert other.stdout.split() == here
