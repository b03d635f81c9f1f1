"""``ExactBackend`` passes the conformance suite against ``ExactSandbox``."""

from __future__ import annotations

from decimal import Decimal

from finlink.backends import Backend
from finlink.backends.exact import ExactBackend
from finlink.testing import BackendContract, ContractFault
from finlink.testing.exact import ExactSandbox
from tests.backends.exact.support import DIVISION, connected_backend, new_sandbox

#: The path (fragment) each contract operation sends its decisive call to.
_PATHS = {
    "create_relation": ("POST", "crm/Accounts"),
    "create_booking": ("POST", "Entries"),
    "read_relations": ("GET", "sync/CRM/Accounts"),
}


class TestExactBackendContract(BackendContract):
    sandboxes: dict[int, ExactSandbox]

    def make_backend(self) -> Backend:
        sandbox, _ = new_sandbox()
        backend = connected_backend(sandbox)
        type(self).sandboxes = {**getattr(type(self), "sandboxes", {}), id(backend): sandbox}
        return backend

    def _sandbox(self, backend: Backend) -> ExactSandbox:
        assert isinstance(backend, ExactBackend)
        return type(self).sandboxes[id(backend)]

    def inject_fault(self, backend: Backend, operation: str, fault: ContractFault) -> bool:
        sandbox = self._sandbox(backend)
        method, path = _PATHS[operation]
        if fault is ContractFault.LOSE_RESPONSE:
            sandbox.faults.drop_response(method=method, path=path)
        elif fault is ContractFault.UNAUTHORIZED:
            sandbox.faults.server_error(401, method=method, path=path, times=5)
        elif fault is ContractFault.RATE_LIMITED:
            sandbox.faults.bare_429(method=method, path=path)
        else:
            sandbox.faults.server_error(503, method=method, path=path)
        return True

    def record_payment(self, backend: Backend, booking_remote_id: str, amount: Decimal) -> bool:
        self._sandbox(backend).record_payment(DIVISION, booking_remote_id, amount)
        return True
