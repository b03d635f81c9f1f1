"""Payloads: read straight off the records, they are exactly the converter's JSON form."""

from __future__ import annotations

import json

from finlink.model.enums import RelationRole
from finlink.model.normalize import normalize_contact, normalize_relation
from finlink.model.relation import Address
from finlink.serialization import to_dict
from finlink.sync.payloads import RELATION_FIELDS, contact_payload, relation_payload
from finlink.testing.datasets import relations
from tests.sync.engine_helpers import crm_relation


def _via_converter(data: dict[str, object], fields: tuple[str, ...]) -> dict[str, object]:
    return {field: data[field] for field in fields}


def test_relation_payloads_equal_the_converter_form_key_order_included() -> None:
    both = frozenset({RelationRole.SUPPLIER, RelationRole.CUSTOMER})
    odd = crm_relation(
        1,
        roles=both,
        postal_address=Address(
            line1=" Postbus 1 ", postcode="1234ab", city="Utrecht", country="nl"
        ),
        payment_term_days=14,
        active=False,
    )
    for relation in (odd, *relations(300, seed=11)):
        for normalized in (True, False):
            source = relation if normalized else normalize_relation(relation)
            expected = _via_converter(to_dict(source), RELATION_FIELDS)
            payload = relation_payload(relation, normalized=normalized)
            assert payload == expected
            # Same JSON text too: the snapshot and the intent's payload hash are made from it.
            assert json.dumps(payload) == json.dumps(expected)


def test_contact_payloads_equal_the_converter_form() -> None:
    fields = ("first_name", "last_name", "email", "phone", "job_title")
    contacts = [c for r in relations(300, seed=12) for c in r.contacts]
    assert contacts
    for contact in contacts:
        expected = _via_converter(to_dict(normalize_contact(contact)), fields)
        assert json.dumps(contact_payload(contact)) == json.dumps(expected)
