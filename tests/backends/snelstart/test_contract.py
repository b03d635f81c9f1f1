"""``SnelStartBackend`` passes finlink's conformance suite against ``SnelStartSandbox``.

Faults go through the sandbox's test API (a dropped answer after the commit, a 429, a 503);
the lasting 401 is a transport wrapper answering as APIM does for a dead key, because the
sandbox has no switch to refuse a koppelsleutel. Every request body is checked against the
SPEC where the reference folder is present.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import pytest

from finlink.backends import Backend
from finlink.testing import BackendContract, ContractFault
from tests.backends.snelstart.support import Rig, make_rig

_PATHS = {
    "create_relation": ("/relaties", "POST"),
    "create_booking": ("/verkoopboekingen", "POST"),
    "read_relations": ("/relaties", "GET"),
}


class TestSnelStartBackendContract(BackendContract):
    """The suite, one fresh sandbox administration per test."""

    rigs: dict[int, Rig]

    @pytest.fixture
    def backend(self, spec_document: Mapping[str, Any] | None) -> Iterator[Backend]:
        """A backend on a fresh sandbox; its request bodies must match the SPEC."""
        rig = make_rig(spec_document)
        self.rigs = {id(rig.backend): rig}
        yield rig.backend
        rig.http.close()
        assert rig.spec.failures == [], rig.spec.failures

    def make_backend(self) -> Backend:
        rig = make_rig()
        self.rigs = {id(rig.backend): rig}
        return rig.backend

    def inject_fault(self, backend: Backend, operation: str, fault: ContractFault) -> bool:
        rig = self.rigs[id(backend)]
        path, method = _PATHS[operation]
        faults = rig.sandbox.faults
        if fault is ContractFault.LOSE_RESPONSE:
            faults.drop_after_commit(path, method=method)
        elif fault is ContractFault.RATE_LIMITED:
            faults.throttle(path, method=method, retry_after=5)
        elif fault is ContractFault.SERVER_ERROR:
            faults.fail(path, method=method, status=503)
        else:
            rig.gate.armed = True
        return True

    def record_payment(self, backend: Backend, booking_remote_id: str, amount: Decimal) -> bool:
        rig = self.rigs[id(backend)]
        booking = next(b for b in rig.admin.bookings("verkoop") if b["id"] == booking_remote_id)
        rig.admin.record_payment(booking["factuurnummer"], amount)
        return True
