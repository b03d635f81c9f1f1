"""The ``exact`` entry point builds a backend from flat settings, as finlink.toml has them."""

from __future__ import annotations

import pytest

from finlink import ConfigurationError
from finlink.backends import load_backend
from finlink.backends.exact import ExactBackend, exact_from_config
from finlink.http import MemoryTokenStore, Secret


def test_entry_point_takes_flat_settings() -> None:
    backend = load_backend(
        "exact",
        division="1234567",
        client_id="client-1",
        client_secret=Secret("s3cret"),
        redirect_uri="https://crm.example.nl/cb",
        host="be",
        token_store=MemoryTokenStore(),
        name="Demo B.V.",
    )
    assert isinstance(backend, ExactBackend)
    assert backend.administration == "exact:1234567"
    assert backend.name == "Demo B.V."
    assert backend.oauth.host == "https://start.exactonline.be"
    assert "s3cret" not in repr(backend.oauth)


def test_bad_settings_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="Exact Online settings"):
        exact_from_config(
            division="not a number",  # type: ignore[arg-type]
            client_id="c",
            client_secret="s",
            redirect_uri="https://x",
            token_store=MemoryTokenStore(),
        )


def test_missing_app_settings_are_named() -> None:
    with pytest.raises(ConfigurationError, match="client_secret, redirect_uri missing"):
        exact_from_config(division=1, client_id="c", token_store=MemoryTokenStore())
