"""Creating backends by name through entry points."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from finlink import ConfigurationError
from finlink.backends import (
    ENTRY_POINT_GROUP,
    RelationKeys,
    available_backends,
    load_backend,
    registry,
)
from finlink.backends.memory import InMemoryBackend


def test_finlink_registers_the_memory_backend() -> None:
    assert "memory" in available_backends()
    backend = load_backend("memory", administration="test")
    assert isinstance(backend, InMemoryBackend)
    assert backend.administration == "test"


def test_unknown_backend_lists_the_known_ones() -> None:
    with pytest.raises(
        ConfigurationError, match=r"unknown backend 'nope'; installed backends: .*memory"
    ):
        load_backend("nope")


def test_bad_configuration_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="does not accept this configuration"):
        load_backend("memory", colour="blue")


def _fake_entry_points(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    fake = {"fake": EntryPoint(name="fake", value=value, group=ENTRY_POINT_GROUP)}
    monkeypatch.setattr(registry, "_entry_points", lambda: fake)


def test_unimportable_backend_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(monkeypatch, "no_such_module_xyz:Backend")
    with pytest.raises(ConfigurationError, match="cannot be loaded"):
        load_backend("fake")


def test_factory_that_makes_no_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(monkeypatch, "builtins:dict")
    with pytest.raises(ConfigurationError, match="lacks the Backend methods"):
        load_backend("fake")


def test_no_backends_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    empty: dict[str, Any] = {}
    monkeypatch.setattr(registry, "_entry_points", lambda: empty)
    with pytest.raises(ConfigurationError, match="installed backends: none"):
        load_backend("memory")


def test_relation_keys_emptiness() -> None:
    assert RelationKeys().is_empty()
    assert not RelationKeys(iban="NL91ABNA0417164300").is_empty()
