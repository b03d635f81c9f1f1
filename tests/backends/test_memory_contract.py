"""``InMemoryBackend`` passes the conformance suite, in default and SnelStart-like shapes."""

from __future__ import annotations

from decimal import Decimal

from finlink import AuthenticationError, RateLimitError, ServerError
from finlink.backends import Backend, Capabilities
from finlink.backends.faults import FailWith, LoseResponse
from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock
from finlink.testing import BackendContract, ContractFault


class _MemoryHooks(BackendContract):
    def inject_fault(self, backend: Backend, operation: str, fault: ContractFault) -> bool:
        assert isinstance(backend, InMemoryBackend)
        if fault is ContractFault.LOSE_RESPONSE:
            backend.inject(operation, LoseResponse())
        elif fault is ContractFault.UNAUTHORIZED:
            backend.inject(operation, FailWith(AuthenticationError("401", status_code=401)))
        elif fault is ContractFault.RATE_LIMITED:
            backend.inject(operation, FailWith(RateLimitError("429")))
        else:
            backend.inject(operation, FailWith(ServerError("503", status_code=503)))
        return True

    def record_payment(self, backend: Backend, booking_remote_id: str, amount: Decimal) -> bool:
        assert isinstance(backend, InMemoryBackend)
        backend.record_payment(booking_remote_id, amount)
        return True


class TestInMemoryBackend(_MemoryHooks):
    def make_backend(self) -> Backend:
        return InMemoryBackend(clock=SimulatedClock())


class TestInMemoryBackendShapedLikeSnelStart(_MemoryHooks):
    def make_backend(self) -> Backend:
        return InMemoryBackend(
            administration="snelstart-like",
            capabilities=Capabilities(
                max_contacts_per_relation=1,
                customer_and_supplier=False,
                max_attachment_bytes=10 * 1024 * 1024,
                field_max_lengths={"relation.name": 50},
            ),
        )


class TestInMemoryBackendWithoutIncrementalReads(_MemoryHooks):
    def make_backend(self) -> Backend:
        return InMemoryBackend(capabilities=Capabilities(incremental_reads=False))
