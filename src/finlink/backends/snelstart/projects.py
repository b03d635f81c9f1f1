"""``/kostenplaatsen``: CRM projects as cost centres (snelstart.md §3.3).

A kostenplaats has a ``nummer`` from 1 to 999 999 999, unique (KPL-0006/0007/0008), and an
``omschrijving`` of at most 50 characters (KPL-0004/0005). It cannot be created inactive
(KPL-0009): create it active, then deactivate it with a PUT. The list has no OData (§5 quirk
12), so finding one reads the whole list, which the reference cache keeps.
"""

from __future__ import annotations

from typing import Any

from finlink._errors import NotFoundError, Problem, ValidationError
from finlink.backends.records import RemoteRecord
from finlink.backends.snelstart.context import Context
from finlink.model.booking import Project

__all__ = ["MAX_PROJECT_NUMBER", "Projects", "project_number"]

#: KPL-0007: "Nummer moet tussen 1 en 999999999 liggen".
MAX_PROJECT_NUMBER = 999_999_999


def project_number(number: str, *, path: str = "number") -> int:
    """A project number as SnelStart's kostenplaats ``nummer``.

    Raises:
        ValidationError: Not a whole number from 1 to 999 999 999 (KPL-0007).
    """
    text = number.strip()
    if text.isdigit() and 1 <= int(text) <= MAX_PROJECT_NUMBER:
        return int(text)
    raise ValidationError(
        [
            Problem(
                path=path,
                rule="project_number",
                message="a SnelStart kostenplaats number is a whole number from 1 to "
                "999 999 999 (KPL-0007)",
                value=number,
            )
        ],
        subject="project for SnelStart",
    )


def _check_description(project: Project) -> None:
    if len(project.description) > 50:
        raise ValidationError(
            [
                Problem(
                    path="description",
                    rule="max_length",
                    message="SnelStart holds at most 50 characters here (KPL-0005)",
                    value=project.description,
                )
            ],
            subject=f"project {project.id!r} for SnelStart",
        )


class Projects:
    """The cost-centre part of the backend."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def record(self, body: dict[str, Any], project_id: str | None = None) -> RemoteRecord[Project]:
        """A kostenplaats as a remote record (``Project.id`` is the number unless given)."""
        number = str(body["nummer"])
        return RemoteRecord(
            administration=self._ctx.administration,
            remote_id=str(body["id"]),
            data=Project(
                id=project_id or number,
                number=number,
                description=str(body.get("omschrijving") or ""),
                active=not body.get("nonactief"),
            ),
            crm_key=number,
            active=not body.get("nonactief"),
        )

    def find(self, number: str) -> RemoteRecord[Project] | None:
        """The kostenplaats with ``number``; reads the list again before saying it is absent."""
        wanted = project_number(number)
        found = self._ctx.refs.kostenplaatsen().get(wanted)
        if found is None:
            found = self._ctx.refs.kostenplaatsen(refresh=True).get(wanted)
        return None if found is None else self.record(found)

    def create(self, project: Project) -> RemoteRecord[Project]:
        """POST the kostenplaats active (KPL-0009), then deactivate it if the project is closed."""
        body = {"nummer": project_number(project.number), "omschrijving": project.description}
        _check_description(project)
        answer = self._ctx.api.request_json(
            "POST", "/kostenplaatsen", json={**body, "nonactief": False}, reference=project.number
        )
        self._ctx.refs.remember_kostenplaats(answer)
        if not project.active:
            return self.update(str(answer["id"]), project)
        return self.record(answer, project.id)

    def update(self, remote_id: str, project: Project) -> RemoteRecord[Project]:
        """PUT number, description and active flag."""
        _check_description(project)
        body = {
            "id": remote_id,
            "nummer": project_number(project.number),
            "omschrijving": project.description,
            "nonactief": not project.active,
        }
        answer = self._ctx.api.request_json("PUT", f"/kostenplaatsen/{remote_id}", json=body)
        stored = answer if isinstance(answer, dict) else body
        self._ctx.refs.remember_kostenplaats(stored)
        return self.record(stored, project.id)

    def deactivate(self, remote_id: str) -> None:
        """Set ``nonactief`` with a PUT (GET first: the PUT takes the whole record)."""
        current = self._ctx.api.get_json(f"/kostenplaatsen/{remote_id}")
        if not isinstance(current, dict):
            raise NotFoundError(f"SnelStart has no kostenplaats {remote_id}")
        current["nonactief"] = True
        answer = self._ctx.api.request_json("PUT", f"/kostenplaatsen/{remote_id}", json=current)
        self._ctx.refs.remember_kostenplaats(answer if isinstance(answer, dict) else current)
