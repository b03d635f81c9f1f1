"""SQLiteStore's schema: forward migrations at open, and refusal of a newer database."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from finlink import SyncError
from finlink.sync.store import SQLiteStore
from finlink.sync.store import _sqlite_schema as schema
from finlink.sync.store._sqlite_schema import MIGRATIONS, Migration

LATEST = MIGRATIONS[-1].version


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        [(version,)] = conn.execute("SELECT version FROM schema_version").fetchall()
        return int(version)
    finally:
        conn.close()


def _columns(path: Path, table: str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    finally:
        conn.close()


def test_a_new_file_is_created_at_the_latest_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SQLiteStore(path).close()
    assert _version(path) == LATEST


def test_migrations_are_numbered_one_up_from_one() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_a_version_1_database_is_migrated_forward_keeping_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.db"
    with SQLiteStore(path) as store:
        store.record_outcome("adm", "relation", "C-1", remote_id="R-1", snapshot={"v": 1})
    # The store was made at the latest version; this step goes one further (the test was
    # written when the latest was 1).
    assert _version(path) == LATEST
    step = Migration(
        version=LATEST + 1,
        description="a note on every link",
        statements=("ALTER TABLE links ADD COLUMN note TEXT",),
    )
    monkeypatch.setattr(schema, "MIGRATIONS", (*MIGRATIONS, step))
    with SQLiteStore(path) as store:
        link = store.get_link("adm", "relation", "C-1")
    assert link is not None
    assert link.snapshot == {"v": 1}
    assert _version(path) == LATEST + 1
    assert "note" in _columns(path, "links")


def test_a_version_1_database_gains_review_choices_and_keeps_its_reviews(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.db"
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:1])
    SQLiteStore(path).close()
    assert _version(path) == 1
    assert "choices" not in _columns(path, "reviews")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO reviews (administration, entity, crm_key, reason, candidates, payload, "
            "created_at, updated_at) VALUES ('adm', 'relation', 'C-1', 'r', '[]', '{}', "
            "'2026-01-05T09:00:00.000000Z', '2026-01-05T09:00:00.000000Z')"
        )
    conn.close()
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS)
    with SQLiteStore(path) as store:
        [old] = store.reviews()
        assert old.crm_key == "C-1"
        assert old.choices is None
        settled = store.resolve_review(
            old.review_id, "link", remote_id="R-1", choices={"name": "crm"}
        )
    assert settled.choices == {"name": "crm"}
    assert _version(path) == LATEST
    assert "choices" in _columns(path, "reviews")


def test_a_failed_migration_is_rolled_back_and_the_database_keeps_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.db"
    SQLiteStore(path).close()
    broken = Migration(
        version=LATEST + 1,
        description="broken",
        statements=("CREATE TABLE half_done (x TEXT)", "ALTER TABLE no_such_table ADD x TEXT"),
    )
    monkeypatch.setattr(schema, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(SyncError, match="cannot open"):
        SQLiteStore(path)
    assert _version(path) == LATEST
    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()
    assert "half_done" not in tables


def test_a_database_from_a_newer_finlink_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = ?", (LATEST + 5,))
    conn.commit()
    conn.close()
    with pytest.raises(SyncError, match="newer finlink") as caught:
        SQLiteStore(path)
    assert f"schema version {LATEST + 5}" in str(caught.value)
    assert _version(path) == LATEST + 5


def test_a_damaged_version_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version (version) VALUES (1)")
    conn.commit()
    conn.close()
    with pytest.raises(SyncError, match="damaged"):
        SQLiteStore(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not an SQLite file at all, just text" * 100)
    with pytest.raises(SyncError, match="cannot open"):
        SQLiteStore(path)


def test_a_path_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SyncError, match="cannot open"):
        SQLiteStore(tmp_path / "missing" / "state.db")


def test_reopening_does_not_run_a_migration_again(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SQLiteStore(path) as store:
        store.set_cursor("adm", "s", "1")
    with SQLiteStore(path) as store:
        assert store.get_cursor("adm", "s") == "1"
    assert _version(path) == LATEST


def test_several_openers_of_a_new_file_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        start.wait()
        try:
            SQLiteStore(path).close()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _version(path) == LATEST
