"""pytest for the conformance suites, or an error that says how to get it.

:class:`~finlink.testing.BackendContract` and :class:`~finlink.testing.StateStoreContract`
are pytest test classes, so they need pytest; the sandboxes and the datasets do not. pytest
is not a runtime dependency of finlink (a CRM vendor's production worker has no use for it),
so the suites import it through this module, which turns a missing pytest into an error that
names the extra to install instead of a bare ``No module named 'pytest'``.
"""

from __future__ import annotations

try:
    import pytest  # re-exported for the suites through __all__
except ModuleNotFoundError as exc:  # pragma: no cover - the test run always has pytest
    if exc.name != "pytest":
        raise
    raise ModuleNotFoundError(
        "finlink's conformance suites (BackendContract, StateStoreContract) are pytest tests "
        "and need pytest: install it with `pip install 'finlink[testing]'`. "
        "The sandboxes and datasets in finlink.testing work without it.",
        name="pytest",
    ) from exc

__all__ = ["pytest"]
