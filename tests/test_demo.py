"""The demo runs the real engine against the sandboxes and reports what a bookkeeper needs."""

from __future__ import annotations

import json
from pathlib import Path

from finlink.demo import run_demo


def test_demo_syncs_links_reports_conflicts_and_reads_back_payments(tmp_path: Path) -> None:
    steps: list[str] = []
    result = run_demo(
        size=80, seed=3, state_path=tmp_path / "demo.db", progress=lambda s, _d, _t: steps.append(s)
    )
    assert (tmp_path / "demo.db").exists()
    assert {"projects", "relations", "bookings", "edits", "payments"} <= set(steps)
    company, foundation, snelstart = result.administrations
    assert snelstart.administration.startswith("snelstart:")
    crm = result.crm
    for adm in (company, foundation, snelstart):
        # every valid relation reached the administration or waits for a person; none failed
        placed = sum(adm.relations.get(k, 0) for k in ("created", "linked", "waiting for review"))
        if adm is snelstart:  # a customer-and-supplier relation is two SnelStart relations
            assert placed >= crm["relations"]
        else:
            assert placed == crm["relations"]
        assert adm.relations["invalid"] == crm["invalid_relations"]
        assert "failed" not in adm.relations
        assert sum(adm.bookings.values()) in (crm["bookings"] // 3, crm["bookings"] // 3 + 1)
        assert "failed" not in adm.bookings
        assert adm.api_calls > 0
        assert adm.payments > 0
        assert sum(adm.open_items.values()) > 0
    # the accountant's existing customers were linked, not duplicated
    assert company.relations["linked"] >= 1
    assert "linked" not in foundation.relations
    # the accountant owns phone numbers: those conflicts were decided for the accountant
    assert any(key.startswith("phone") for key in company.conflicts)
    assert result.inbound_changes > 0
    assert result.simulated_seconds > 0
    json.dumps(result.to_dict())  # the --json output is plain JSON
