"""A writer SIGKILLed mid-run leaves every record whole: a link with its outbox entry gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import finlink
from tests.postgres import PgSchema

ADM = "acme-bv"
REL = "relation"

# The child claims every entry, then records each outcome with its acknowledgement, in a
# transaction that also moves a cursor; it prints each key once committed.
WRITER = """
import sys
from finlink.sync.store import PostgresStore

store = PostgresStore(sys.argv[1], max_size=1)
entries = store.claim(1000, "writer", lease_seconds=600)
print("claimed", flush=True)
for entry in entries:
    with store.transaction():
        store.record_outcome(
            "acme-bv", "relation", entry.crm_key, remote_id="R-" + entry.crm_key,
            snapshot={"n": entry.payload["n"]}, outbox_entry=entry.entry_id, worker="writer",
        )
        store.set_cursor("acme-bv", "done", entry.crm_key)
    print(entry.crm_key, flush=True)
"""


def _child_env() -> dict[str, str]:
    src = str(Path(finlink.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    return env


def test_a_writer_killed_mid_run_leaves_no_half_written_record(
    pg_schema: PgSchema, tmp_path: Path
) -> None:
    from finlink.sync.store import PostgresStore

    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    keys = [f"C-{i:04d}" for i in range(400)]
    with PostgresStore(pg_schema.options_dsn) as store:
        with store.transaction():
            for i, key in enumerate(keys):
                store.enqueue(REL, key, {"n": i}, [ADM])
        child = subprocess.Popen(
            [sys.executable, str(script), pg_schema.options_dsn],
            stdout=subprocess.PIPE,
            text=True,
            env=_child_env(),
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "claimed"
        committed = [child.stdout.readline().strip() for _ in range(25)]
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        committed += [line.strip() for line in child.stdout if line.strip()]
        child.stdout.close()

        linked = {link.crm_key for link in store.links(ADM, REL)}
        waiting = _waiting(pg_schema)
        # Every record is either done (link, no entry) or not (entry, no link): never both,
        # never neither; and what the child saw committed is done.
        assert linked | waiting == set(keys)
        assert not linked & waiting
        assert set(committed) <= linked
        assert len(linked) < len(keys), "the writer was killed before the end"
        # The cursor moved in the same transactions: it names the last record done.
        assert store.get_cursor(ADM, "done") == max(linked)


def _waiting(schema: PgSchema) -> set[str]:
    """The CRM keys with an entry still in the outbox."""
    import psycopg

    with psycopg.connect(schema.options_dsn) as conn:
        return {row[0] for row in conn.execute("SELECT crm_key FROM finlink_outbox")}
