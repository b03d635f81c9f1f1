"""Test tools finlink ships for backend authors and CRM vendors.

- :class:`BackendContract`: the conformance suite every backend runs;
- :class:`ContractFault`: the faults the suite asks a backend's test side to inject;
- the pytest plugin (:mod:`finlink.testing.pytest_plugin`), registered automatically.
"""

from finlink.testing.contract import BackendContract, ContractFault

__all__ = ["BackendContract", "ContractFault"]
