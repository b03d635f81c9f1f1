"""TokenSet and the token stores: masked tokens, atomic 0600 files, a lock across processes."""

from __future__ import annotations

import itertools
import os
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import finlink
from finlink import BackendError, ConfigurationError
from finlink.http import FileTokenStore, MemoryTokenStore, Secret, TokenSet, TokenStore

ISSUED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ACCESS = "gAAAA-access-token-value"
REFRESH = "Zm9vYmFy-refresh-token-value"


def _tokens(n: int = 1, **changes: object) -> TokenSet:
    fields: dict[str, object] = {
        "access_token": f"{ACCESS}-{n}",
        "refresh_token": f"{REFRESH}-{n}",
        "issued_at": ISSUED,
        "expires_at": ISSUED + timedelta(seconds=600),
        "extra": {"count": str(n)},
    }
    fields.update(changes)
    return TokenSet(**fields)  # type: ignore[arg-type]


def test_repr_shows_times_but_never_the_tokens() -> None:
    text = repr(_tokens())
    assert ACCESS not in text
    assert REFRESH not in text
    assert "expires_at=datetime.datetime(2026, 1, 5, 9, 10" in text
    assert "Secret('***')" in text


def test_tokens_are_secrets_revealed_on_request() -> None:
    tokens = _tokens()
    assert isinstance(tokens.access_token, Secret)
    assert tokens.access_token.reveal() == f"{ACCESS}-1"
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.reveal() == f"{REFRESH}-1"
    assert tokens.authorization() == f"Bearer {ACCESS}-1"
    assert _tokens(token_type="MAC").authorization() == f"MAC {ACCESS}-1"


def test_exact_token_response_with_expires_in_as_a_string() -> None:
    body = {
        "access_token": ACCESS,
        "token_type": "bearer",
        "expires_in": "600",
        "refresh_token": REFRESH,
    }
    tokens = TokenSet.from_token_response(body, now=ISSUED)
    assert tokens.expires_at == ISSUED + timedelta(seconds=600)
    assert tokens.refresh_token == Secret(REFRESH)
    assert tokens.authorization() == f"Bearer {ACCESS}"


def test_snelstart_token_response_without_refresh_token() -> None:
    body = {"access_token": ACCESS, "token_type": "bearer", "expires_in": 3599}
    tokens = TokenSet.from_token_response(body, now=ISSUED)
    assert tokens.refresh_token is None
    assert tokens.expires_at == ISSUED + timedelta(seconds=3599)
    assert tokens.token_type == "bearer"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"expires_in": "600", "refresh_token": REFRESH}, "no access_token"),
        ({"access_token": ACCESS, "refresh_token": REFRESH}, "no readable expires_in"),
        ({"access_token": ACCESS, "expires_in": "ten minutes"}, "no readable expires_in"),
    ],
)
def test_bad_token_responses_are_refused_without_quoting_them(
    body: dict[str, object], match: str
) -> None:
    with pytest.raises(BackendError, match=match) as caught:
        TokenSet.from_token_response(body, now=ISSUED)
    assert ACCESS not in str(caught.value)
    assert REFRESH not in str(caught.value)


def test_expiry_and_age() -> None:
    tokens = _tokens()
    assert not tokens.expires_within(ISSUED + timedelta(seconds=569))
    assert tokens.expires_within(ISSUED + timedelta(seconds=571), timedelta(seconds=30))
    assert tokens.expires_within(ISSUED + timedelta(seconds=600))
    assert tokens.age(ISSUED + timedelta(seconds=570)) == timedelta(seconds=570)


def test_naive_or_backwards_times_are_refused() -> None:
    with pytest.raises(ValueError, match="issued_at must be timezone-aware"):
        _tokens(issued_at=datetime(2026, 1, 5, 9, 0))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="before issued_at"):
        _tokens(expires_at=ISSUED - timedelta(seconds=1))


def test_extra_is_read_only() -> None:
    tokens = _tokens()
    with pytest.raises(TypeError):
        tokens.extra["count"] = "9"  # type: ignore[index]


def test_json_round_trip_and_missing_fields() -> None:
    tokens = _tokens()
    assert TokenSet.from_json_dict(tokens.to_json_dict()) == tokens
    data = tokens.to_json_dict()
    del data["issued_at"]
    with pytest.raises(ValueError, match="lacks 'issued_at'") as caught:
        TokenSet.from_json_dict(data)
    assert ACCESS not in str(caught.value)


def test_memory_store_loads_saves_and_implements_the_protocol() -> None:
    store = MemoryTokenStore()
    assert isinstance(store, TokenStore)
    assert store.load("exact:1") is None
    store.save("exact:1", _tokens())
    assert store.load("exact:1") == _tokens()
    assert ACCESS not in repr(store)


def _refresh_race(store: TokenStore, key: str, workers: int, rounds: int) -> int:
    """Threads that each re-read, "refresh" and save under the lock; returns the final count."""

    def worker() -> None:
        for _ in range(rounds):
            with store.lock(key):
                current = store.load(key)
                count = int(current.extra["count"]) if current is not None else 0
                time.sleep(0.001)
                store.save(key, _tokens(count + 1))

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = store.load(key)
    assert final is not None
    return int(final.extra["count"])


def test_memory_store_lock_serialises_refreshing_threads() -> None:
    assert _refresh_race(MemoryTokenStore(), "exact:1", workers=4, rounds=10) == 40


def test_file_store_round_trip_keeps_every_key(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    assert isinstance(store, TokenStore)
    assert store.load("a") is None
    store.save("a", _tokens(1))
    store.save("b", _tokens(2))
    again = FileTokenStore(tmp_path / "tokens.json")
    assert again.load("a") == _tokens(1)
    assert again.load("b") == _tokens(2)
    assert repr(again) == f"FileTokenStore({str(tmp_path / 'tokens.json')!r})"


def test_file_store_files_are_private_and_no_temp_files_remain(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    with store.lock("a"):
        store.save("a", _tokens())  # save inside lock: reentrant, no deadlock
    for name in ("tokens.json", "tokens.json.lock"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json", "tokens.json.lock"]


def test_file_store_write_failure_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save("a", _tokens(1))

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        store.save("a", _tokens(2))
    monkeypatch.undo()
    assert store.load("a") == _tokens(1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json", "tokens.json.lock"]


def test_file_store_lock_failure_closes_the_lock_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    store = FileTokenStore(tmp_path / "tokens.json")

    def refuse(fd: int, operation: int) -> None:
        raise OSError("no locks here")

    monkeypatch.setattr(fcntl, "flock", refuse)
    with pytest.raises(OSError, match="no locks here"), store.lock("a"):
        pass  # pragma: no cover - never entered
    monkeypatch.undo()
    with store.lock("a"):  # the store still works
        store.save("a", _tokens())


def test_file_store_refuses_a_file_that_is_not_a_token_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"something": "else"}', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not readable"):
        FileTokenStore(path).load("a")
    path.write_text("", encoding="utf-8")
    assert FileTokenStore(path).load("a") is None


def test_file_store_needs_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        FileTokenStore(tmp_path / "missing" / "tokens.json")


def test_file_store_lock_serialises_refreshing_threads(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    assert _refresh_race(store, "exact:1", workers=3, rounds=5) == 15


def test_file_store_lock_serialises_refreshes_of_two_os_processes(tmp_path: Path) -> None:
    store_path = tmp_path / "tokens.json"
    log_path = tmp_path / "intervals.log"
    worker = Path(__file__).with_name("token_worker.py")
    env = {**os.environ, "PYTHONPATH": str(Path(finlink.__file__).resolve().parents[1])}
    deadline = repr(time.time() + 20)  # for both workers to be ready
    rounds = 12
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(worker),
                str(store_path),
                "exact:1",
                str(rounds),
                str(log_path),
                name,
                deadline,
            ],
            env=env,
        )
        for name in ("one", "two")
    ]
    for process in processes:
        assert process.wait(timeout=30) == 0

    final = FileTokenStore(store_path).load("exact:1")
    assert final is not None
    # No refresh was lost: every round saw the previous round's tokens.
    assert final.extra["count"] == str(2 * rounds)
    assert final.access_token.reveal() == f"access-{2 * rounds}"
    intervals = sorted(
        (float(start), float(end), name)
        for name, start, end in (line.split() for line in log_path.read_text().splitlines())
    )
    assert {name for _, _, name in intervals} == {"one", "two"}
    for (_, end, _), (start, _, _) in itertools.pairwise(intervals):
        assert end <= start, "two processes held the refresh lock at the same time"
