"""Test tools finlink ships for backend authors and CRM vendors.

- :class:`BackendContract`: the conformance suite every backend runs;
- :class:`ContractFault`: the faults the suite asks a backend's test side to inject;
- :class:`ExactSandbox`: an in-process Exact Online REST API on a simulated clock;
- :class:`ScaledClock`: simulated time that several processes share (workers and a sandbox
  process), running faster than the wall clock;
- :class:`SnelStartSandbox`: an in-process SnelStart B2B API v2 on a simulated clock;
- :class:`StateStoreContract`: the conformance suite for state stores;
- :mod:`finlink.testing.datasets`: realistic Dutch and Belgian relations, projects and bookings,
  with labelled duplicate variants, for tests, benchmarks and demos;
- the pytest plugin (:mod:`finlink.testing.pytest_plugin`), registered automatically.

The sandboxes and the datasets need only finlink's runtime dependencies: the demo, a host's
own scripts and ``finlink sandbox`` use them in production installs. The two conformance
suites are pytest test classes; they need pytest (``pip install 'finlink[testing]'``) and are
imported only when first named, so ``import finlink.testing`` works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finlink.testing._contract_fault import ContractFault
from finlink.testing.exact import ExactSandbox
from finlink.testing.scaled_clock import ScaledClock
from finlink.testing.snelstart import SnelStartSandbox

if TYPE_CHECKING:
    from finlink.testing.contract import BackendContract
    from finlink.testing.store_contract import StateStoreContract

__all__ = [
    "BackendContract",
    "ContractFault",
    "ExactSandbox",
    "ScaledClock",
    "SnelStartSandbox",
    "StateStoreContract",
]

# The pytest-based suites, imported on first use (PEP 562) so that pytest stays optional.
_LAZY = {
    "BackendContract": "finlink.testing.contract",
    "StateStoreContract": "finlink.testing.store_contract",
}


def __getattr__(name: str) -> object:
    """Import a conformance suite when it is first asked for (it needs pytest)."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'finlink.testing' has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - only the lazy path needs it

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    """List the lazy suites with the rest, so ``dir()`` and completion show them."""
    return sorted(set(globals()) | set(__all__))
