"""Division discovery: hrm/Divisions, then system/Divisions, then current/Me (quirk 18)."""

from __future__ import annotations

from finlink.backends.exact import ExactDivision
from tests.backends.exact.support import DIVISION, new_sandbox, recorded_backend


def _paths(calls: list[str]) -> list[str]:
    return [path.rsplit("/api/v1/", 1)[1] for path in calls]


def test_divisions_come_from_hrm_divisions_when_the_licence_has_it() -> None:
    sandbox, _ = new_sandbox()
    backend, recorder = recorded_backend(sandbox)
    recorder.clear()
    divisions = backend.divisions()
    assert divisions == [
        ExactDivision(
            code=DIVISION, description="Voorbeeld B.V.", current=True, source="hrm/Divisions"
        ),
        ExactDivision(
            code=1234568,
            description="Stichting Voorbeeld",
            current=False,
            source="hrm/Divisions",
        ),
    ]
    assert _paths([c.path for c in recorder.calls]) == ["current/Me", f"{DIVISION}/hrm/Divisions"]
    assert recorder.calls[1].params == {"$select": "Code,Description"}


def test_a_404_on_hrm_divisions_falls_back_to_system_divisions() -> None:
    sandbox, _ = new_sandbox()
    sandbox.hrm_divisions = False
    backend, recorder = recorded_backend(sandbox)
    recorder.clear()
    divisions = backend.divisions()
    assert [(d.code, d.source) for d in divisions] == [
        (DIVISION, "system/Divisions"),
        (1234568, "system/Divisions"),
    ]
    assert [(c.path.rsplit("/", 1)[1], c.status) for c in recorder.calls] == [
        ("Me", 200),
        ("Divisions", 404),  # hrm/Divisions, asked once and not retried
        ("Divisions", 200),
    ]


def test_when_both_lists_404_the_current_division_is_what_is_known() -> None:
    sandbox, _ = new_sandbox()
    sandbox.hrm_divisions = False
    sandbox.faults.server_error(404, path="system/Divisions")
    backend, recorder = recorded_backend(sandbox)
    recorder.clear()
    assert backend.divisions() == [
        ExactDivision(code=DIVISION, description=None, current=True, source="current/Me")
    ]
    assert [c.status for c in recorder.calls] == [200, 404, 404]
