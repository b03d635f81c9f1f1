"""Test tools finlink ships for backend authors and CRM vendors.

- :class:`BackendContract`: the conformance suite every backend runs;
- :class:`ContractFault`: the faults the suite asks a backend's test side to inject;
- :class:`ExactSandbox`: an in-process Exact Online REST API on a simulated clock;
- :class:`SnelStartSandbox`: an in-process SnelStart B2B API v2 on a simulated clock;
- :class:`StateStoreContract`: the conformance suite for state stores;
- :mod:`finlink.testing.datasets`: realistic Dutch and Belgian relations, projects and bookings,
  with labelled duplicate variants, for tests, benchmarks and demos;
- the pytest plugin (:mod:`finlink.testing.pytest_plugin`), registered automatically.
"""

from finlink.testing.contract import BackendContract, ContractFault
from finlink.testing.exact import ExactSandbox
from finlink.testing.snelstart import SnelStartSandbox
from finlink.testing.store_contract import StateStoreContract

__all__ = [
    "BackendContract",
    "ContractFault",
    "ExactSandbox",
    "SnelStartSandbox",
    "StateStoreContract",
]
