"""What one ``finlink`` invocation carries from the group to its commands."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

import attrs
import click

from finlink.cli.config import FinlinkConfig, load_config
from finlink.cli.engine_setup import (
    BackendFactory,
    CountingRouter,
    build_engine,
    load_default_backend,
)
from finlink.http import RedactingFilter
from finlink.sync import SyncEngine

__all__ = ["CliState", "SandboxControl", "pass_state"]

_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@attrs.define(kw_only=True)
class SandboxControl:
    """Lets a caller stop ``finlink sandbox`` and learn its URL (tests run it in a thread).

    Attributes:
        stop: Set it to stop serving.
        ready: Set once the server listens.
        url: The base URL once it listens.
        credentials: What it printed for clients to use (label → value).
    """

    stop: threading.Event = attrs.field(factory=threading.Event)
    ready: threading.Event = attrs.field(factory=threading.Event)
    url: str | None = None
    credentials: dict[str, str] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class CliState:
    """Options of the ``finlink`` group and what commands share (config, engine, redaction).

    Pass one as ``obj`` to :meth:`click.testing.CliRunner.invoke` to give the command backends
    of your own (``backend_factory``) or environment variables (``environ``).

    Attributes:
        config_path: The ``--config`` file.
        verbosity: 1 with ``-v`` (debug logs), 0 by default, -1 with ``-q``.
        backend_factory: Makes each administration's backend (default: by entry point).
        environ: Where ``*_env`` secrets are read (default: ``os.environ``).
        redactor: Masks every secret the configuration resolved in every log line.
        as_json: Whether the running command prints JSON (errors then print JSON too).
        sandbox: Control of ``finlink sandbox`` (default: serve until Ctrl-C).
    """

    config_path: Path = Path("finlink.toml")
    verbosity: int = 0
    backend_factory: BackendFactory = load_default_backend
    environ: Mapping[str, str] | None = None
    redactor: RedactingFilter = attrs.field(factory=RedactingFilter)
    as_json: bool = False
    sandbox: SandboxControl | None = None
    _config: FinlinkConfig | None = None
    _engine: SyncEngine | None = None
    _router: CountingRouter | None = None
    _handler: logging.Handler | None = None
    _previous_level: int = logging.NOTSET

    @property
    def quiet(self) -> bool:
        """Whether ``-q`` was given (no progress, errors only)."""
        return self.verbosity < 0

    def config(self) -> FinlinkConfig:
        """The configuration, read once.

        Raises:
            ConfigError: See :func:`~finlink.cli.config.load_config`.
        """
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def engine(self) -> SyncEngine:
        """The engine the configuration describes, made once (secrets registered for redaction).

        Raises:
            ConfigError: See :func:`~finlink.cli.engine_setup.build_engine`.
        """
        if self._engine is None:
            self._engine, self._router = build_engine(
                self.config(),
                environ=os.environ if self.environ is None else self.environ,
                backend_factory=self.backend_factory,
                on_secret=self.redactor.register,
            )
        return self._engine

    def router(self) -> CountingRouter:
        """The engine's router (for progress); makes the engine first if needed."""
        self.engine()
        assert self._router is not None  # engine() sets both
        return self._router

    def start_logging(self) -> None:
        """Send finlink's logs to stderr at the chosen level, secrets masked."""
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_LOG_FORMAT))
        # On the handler, not the logger: a logger's filter misses its children's records.
        handler.addFilter(self.redactor)
        level = (
            logging.DEBUG
            if self.verbosity > 0
            else logging.ERROR
            if self.verbosity < 0
            else logging.WARNING
        )
        handler.setLevel(level)
        logger = logging.getLogger("finlink")
        logger.addHandler(handler)
        self._previous_level = logger.level
        logger.setLevel(level)
        self._handler = handler

    def close(self) -> None:
        """Close the store and take the log handler away again."""
        if self._engine is not None:
            self._engine.store.close()
            self._engine = None
        if self._handler is not None:
            logger = logging.getLogger("finlink")
            logger.removeHandler(self._handler)
            logger.setLevel(self._previous_level)
            self._handler = None


#: Decorator handing a command the :class:`CliState`.
pass_state = click.make_pass_decorator(CliState, ensure=True)
