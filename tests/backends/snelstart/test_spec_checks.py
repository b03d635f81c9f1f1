"""The request-body check of the test rig really checks (so a clean run means something)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.backends.snelstart.samples import relation
from tests.backends.snelstart.support import make_rig


def test_a_body_that_breaks_the_spec_is_caught(spec_document: Mapping[str, Any] | None) -> None:
    if spec_document is None:
        pytest.skip("the SnelStart OpenAPI description is not present")
    rig = make_rig(spec_document)
    rig.http.post("/kostenplaatsen", json={"nummer": "not a number", "omschrijving": 5})
    assert rig.spec.failures, "a body with the wrong types passed the SPEC check"
    rig.spec.failures.clear()
    rig.backend.create_relation(relation(), reference="crm-1")
    assert rig.spec.checked >= 2
    assert rig.spec.failures == []
    rig.http.close()
