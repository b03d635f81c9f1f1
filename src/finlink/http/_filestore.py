"""A token store in a JSON file, shared safely between processes on one machine (POSIX only).

Several worker processes of one host can share an Exact connection through this file: the
refresh happens under an exclusive ``fcntl.flock`` on a sibling ``<name>.lock`` file, and
every write replaces the file atomically (a temporary file in the same folder, ``fsync``,
rename over the old one), so a reader sees the old tokens or the new ones, never half a file. Both
files are created with mode ``0600``: they hold live credentials.

Windows is not supported (no ``fcntl``); use a database-backed store there. Network file
systems are not supported either: ``flock`` over NFS is not reliable.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from finlink._errors import ConfigurationError
from finlink.http._tokens import TokenSet, dumps_tokens, loads_tokens

if sys.platform != "win32":
    import fcntl

__all__ = ["FileTokenStore"]


class FileTokenStore:
    """A :class:`~finlink.http.TokenStore` in one JSON file, locked across processes.

    All keys share the file and its lock: refreshes of different keys wait for each other,
    which costs little (a refresh is one call every few minutes) and keeps one lock file.
    Within a process the lock is also a thread lock, and reentrant for the thread holding it
    (``save`` inside ``lock`` does not deadlock).

    Args:
        path: The JSON file; its folder must exist. The lock file is ``<path>.lock``.

    Raises:
        ConfigurationError: On Windows, or when the folder does not exist.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if sys.platform == "win32":  # pragma: no cover - POSIX CI
            raise ConfigurationError("FileTokenStore needs fcntl (POSIX); not on Windows")
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise ConfigurationError(f"token file folder {self.path.parent} does not exist")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth == 0:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._fd = fd
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
                    self._fd = None

    def _read_all(self) -> dict[str, TokenSet]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            return loads_tokens(text)
        except ValueError as exc:
            raise ConfigurationError(f"token file {self.path} is not readable: {exc}") from exc

    def load(self, key: str) -> TokenSet | None:
        """The token set stored under ``key``, or ``None``.

        Raises:
            ConfigurationError: When the file exists but is not a finlink token file.
        """
        return self._read_all().get(key)

    def save(self, key: str, tokens: TokenSet) -> None:
        """Store ``tokens`` under ``key``: read, change and atomically replace the file.

        Takes the file lock itself (reentrant when the caller already holds ``lock``), so
        saves from several processes never lose each other's keys.

        Raises:
            ConfigurationError: When the file exists but is not a finlink token file.
            OSError: When the file cannot be written.
        """
        with self._locked():
            everything = self._read_all()
            everything[key] = tokens
            self._write(dumps_tokens(everything))

    def _write(self, text: str) -> None:
        # mkstemp creates the file with mode 0600, and os.replace keeps that mode.
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temp).replace(self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold the file's exclusive lock (all keys) while refreshing ``key``."""
        with self._locked():
            yield

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"
