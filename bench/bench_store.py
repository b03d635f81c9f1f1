"""How many outcomes a second SQLiteStore records, with synchronous=FULL and NORMAL.

Each ``record_outcome`` is one transaction (the link and snapshot written, the intent and
error cleared), so this is also commits per second. With ``FULL`` every commit waits for the disk to
confirm the write-ahead log (survives a power cut); with ``NORMAL`` it does not (survives a
killed process only). Run: ``python bench/bench_store.py [records]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from finlink.sync.store import SQLiteStore

SNAPSHOT = {
    "name": "Acme Holding B.V.",
    "street": "Oudegracht 1",
    "postcode": "3511 AA",
    "city": "Utrecht",
    "vat_number": "NL123456789B01",
    "iban": "NL91ABNA0417164300",
    "payment_term_days": 30,
    "credit_limit": "1250.00",
}


def outcomes_per_second(folder: Path, mode: Literal["FULL", "NORMAL"], count: int) -> float:
    with SQLiteStore(folder / f"bench-{mode}.db", synchronous=mode) as store:
        started = time.perf_counter()
        for i in range(count):
            key = f"C-{i:06d}"
            store.record_outcome(
                "acme-bv", "relation", key, remote_id=f"R-{i:06d}", snapshot={**SNAPSHOT, "n": i}
            )
        elapsed = time.perf_counter() - started
    return count / elapsed


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as folder:
        results = {
            mode: outcomes_per_second(Path(folder), mode, count) for mode in ("FULL", "NORMAL")
        }
    for mode, rate in results.items():
        print(f"record_outcome, synchronous={mode:<6}: {rate:8.0f} outcomes/s ({count} records)")
    print(f"NORMAL is {results['NORMAL'] / results['FULL']:.1f}x FULL on this disk")


if __name__ == "__main__":
    main()
