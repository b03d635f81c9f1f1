"""The conformance suite passes the tutorial backend and fails broken ones, naming the fault."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from finlink.backends import Backend
from finlink.testing import BackendContract

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _load_tiny_backend() -> type:
    spec = importlib.util.spec_from_file_location("tiny_backend", EXAMPLES / "tiny_backend.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tiny_backend"] = module
    spec.loader.exec_module(module)
    return module.TinyBackend  # type: ignore[no-any-return]


TinyBackend = _load_tiny_backend()


class TestTutorialBackend(BackendContract):
    def make_backend(self) -> Backend:
        backend = TinyBackend()
        assert isinstance(backend, Backend)
        return backend


BROKEN = '''
import attrs
from tiny_backend import TinyBackend
from finlink.backends import ChangeSet
from finlink.testing import BackendContract


class OverwritingBackend(TinyBackend):
    """Writes every field on update, not just the changed ones."""

    def update_relation(self, remote_id, relation, *, fields):
        old, reference, _, active = self._rows[remote_id]
        self._rows[remote_id] = (relation, reference, self._stamp(), active)
        return self._record(remote_id)


class FirstPageOnlyBackend(TinyBackend):
    """Forgets to follow the next page: returns at most 50 relations."""

    def read_relations(self, cursor=None):
        full = super().read_relations(cursor)
        return attrs.evolve(full, records=full.records[:50])


class LyingCapabilitiesBackend(TinyBackend):
    """Claims to hold customer-and-supplier relations but silently drops a role."""

    def create_relation(self, relation, *, reference):
        one_role = attrs.evolve(relation, roles=frozenset({sorted(relation.roles)[0]}))
        return super().create_relation(one_role, reference=reference)


class TestOverwriting(BackendContract):
    def make_backend(self):
        return OverwritingBackend()


class TestFirstPageOnly(BackendContract):
    def make_backend(self):
        return FirstPageOnlyBackend()


class TestLyingCapabilities(BackendContract):
    def make_backend(self):
        return LyingCapabilitiesBackend()
'''


def test_suite_fails_broken_backends_naming_what_is_wrong(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert(EXAMPLES)
    pytester.makepyfile(test_broken=BROKEN)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=3, passed=33, skipped=51)
    output = result.stdout.str()
    assert "TestOverwriting::test_update_writes_only_the_named_fields" in output
    assert "a field that was not named was overwritten" in output
    assert "TestFirstPageOnly::test_full_read_returns_every_relation_once" in output
    assert "a full read missed" in output
    assert "TestLyingCapabilities::test_customer_and_supplier_capability_is_true" in output
    assert "capabilities allow both roles, but they were not kept" in output


def test_plugin_marks_contract_tests(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert(EXAMPLES)
    pytester.makepyfile(
        test_tiny="""
from tiny_backend import TinyBackend
from finlink.testing import BackendContract

class TestTiny(BackendContract):
    def make_backend(self):
        return TinyBackend()

def test_unrelated():
    pass
"""
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-m", "not finlink_contract")
    result.assert_outcomes(passed=1, deselected=29)


def test_plugin_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixtures="""
from finlink.backends.memory import InMemoryBackend
from finlink.clock import SimulatedClock

def test_fixtures(finlink_clock, finlink_memory_backend):
    assert isinstance(finlink_clock, SimulatedClock)
    assert isinstance(finlink_memory_backend, InMemoryBackend)
"""
    )
    pytester.runpytest("-q", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_contract_without_make_backend_says_what_to_do() -> None:
    with pytest.raises(NotImplementedError, match="implement make_backend"):
        BackendContract().make_backend()
