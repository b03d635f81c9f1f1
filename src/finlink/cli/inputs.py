"""Reading the CRM's records from JSON and CSV files, with errors that point at the spot.

JSON files hold a list of objects in finlink's serialization format (see
``docs/serialization.md``): relations, projects or bookings. CSV files (relations and projects;
bookings are JSON only, their lines do not fit one row) have one record per row and a header
row naming the fields; nested fields use dotted headers (``visiting_address.postcode``), one
contact per row uses ``contact.*`` headers and ``extra.<name>`` fills ``Relation.extra``.
``docs/cli.md`` lists every column.

Every problem of every file is collected before anything is reported, so one run shows them
all; :class:`InputError` carries them, each naming the file, the line (CSV, JSON syntax) or
the item index (JSON records) and the field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs

from finlink._errors import ValidationError
from finlink.model.booking import Booking, Project
from finlink.model.relation import Relation
from finlink.serialization import from_dict

__all__ = [
    "CONTACT_COLUMNS",
    "PROJECT_COLUMNS",
    "RELATION_COLUMNS",
    "InputError",
    "InputProblem",
    "Inputs",
    "read_inputs",
    "read_records",
]

T = TypeVar("T", Relation, Project, Booking)

_ADDRESS_FIELDS = ("line1", "line2", "postcode", "city", "country")
#: Plain relation columns of a CSV file (text unless noted in ``docs/cli.md``).
RELATION_COLUMNS = (
    "id",
    "name",
    "roles",
    "number",
    "email",
    "phone",
    "mobile",
    "website",
    "vat_number",
    "coc_number",
    "iban",
    "bic",
    "payment_term_days",
    "currency",
    "language",
    "updated_at",
    "active",
    *(f"visiting_address.{f}" for f in _ADDRESS_FIELDS),
    *(f"postal_address.{f}" for f in _ADDRESS_FIELDS),
)
#: Contact columns: one contact person per row (``contact.id`` defaults to ``1``).
CONTACT_COLUMNS = (
    "contact.id",
    "contact.first_name",
    "contact.last_name",
    "contact.email",
    "contact.phone",
    "contact.job_title",
)
#: Project columns of a CSV file.
PROJECT_COLUMNS = ("id", "number", "description", "active")
_INTEGERS = frozenset({"payment_term_days"})
_BOOLEANS = frozenset({"active"})
_TRUE = frozenset({"true", "yes", "1", "ja", "y"})
_FALSE = frozenset({"false", "no", "0", "nee", "n"})


@attrs.frozen(kw_only=True)
class InputProblem:
    """One thing wrong in an input file.

    Attributes:
        file: The file.
        location: ``line 4`` (CSV rows, JSON syntax) or ``item 2`` (JSON records, from 0).
        field: The field (CSV: the column) the problem is about, if any.
        message: What is wrong, in plain words.
    """

    file: str
    location: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.location:
            parts.append(self.location)
        if self.field:
            parts.append(self.field)
        return ": ".join([", ".join(parts), self.message])

    def to_dict(self) -> dict[str, str | None]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


class InputError(Exception):
    """One or more input files cannot be read; nothing has been sent or written.

    Attributes:
        problems: Every problem found, in file order.
    """

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{count} problem(s) in the input files:\n{lines}")


@attrs.frozen(kw_only=True)
class Inputs:
    """The CRM records read from the input files.

    Attributes:
        relations: From ``--relations``.
        projects: From ``--projects``.
        bookings: From ``--bookings``.
    """

    relations: tuple[Relation, ...] = ()
    projects: tuple[Project, ...] = ()
    bookings: tuple[Booking, ...] = ()

    @property
    def total(self) -> int:
        """How many records there are."""
        return len(self.relations) + len(self.projects) + len(self.bookings)


def read_inputs(
    *, relations: Path | None = None, projects: Path | None = None, bookings: Path | None = None
) -> Inputs:
    """Read every given file; report the problems of all of them at once.

    Raises:
        InputError: A file cannot be read, is not valid JSON/CSV, or a record in it is
            malformed (missing or mistyped field).
    """
    problems: list[InputProblem] = []

    def read(path: Path | None, cls: type[T]) -> tuple[T, ...]:
        if path is None:
            return ()
        try:
            return tuple(read_records(path, cls))
        except InputError as error:
            problems.extend(error.problems)
            return ()

    result = Inputs(
        relations=read(relations, Relation),
        projects=read(projects, Project),
        bookings=read(bookings, Booking),
    )
    if problems:
        raise InputError(problems)
    return result


def read_records(path: Path, cls: type[T]) -> list[T]:
    """Read one file of ``cls`` records, JSON or CSV by its suffix (JSON unless ``.csv``).

    Raises:
        InputError: Every problem in the file.
    """
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problem = InputProblem(file=name, location=None, field=None, message=str(exc))
        raise InputError([problem]) from exc
    if path.suffix.lower() == ".csv":
        if cls is Booking:
            raise InputError(
                [
                    InputProblem(
                        file=name,
                        location=None,
                        field=None,
                        message="bookings are read from JSON only (their lines do not fit a row)",
                    )
                ]
            )
        return _csv_records(name, text, cls)
    return _json_records(name, text, cls)


def _json_records(name: str, text: str, cls: type[T]) -> list[T]:
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        problem = InputProblem(
            file=name, location=where, field=None, message=f"bad JSON: {exc.msg}"
        )
        raise InputError([problem]) from exc
    if not isinstance(data, list):
        problem = InputProblem(
            file=name, location=None, field=None, message="must hold a JSON list of objects"
        )
        raise InputError([problem])
    return _build(
        name,
        ((f"item {i}", item) for i, item in enumerate(data)),
        cls,
        field_name=lambda path: path,
    )


def _build(
    name: str,
    items: Iterable[tuple[str, object]],
    cls: type[T],
    *,
    field_name: Callable[[str], str],
) -> list[T]:
    records: list[T] = []
    problems: list[InputProblem] = []
    for location, item in items:
        if not isinstance(item, dict):
            problems.append(
                InputProblem(file=name, location=location, field=None, message="must be an object")
            )
            continue
        try:
            records.append(from_dict(item, cls))
        except ValidationError as error:
            problems.extend(
                InputProblem(
                    file=name,
                    location=location,
                    field=field_name(p.path) or None,
                    message=f"{p.message} [{p.rule}]",
                )
                for p in error.problems
            )
    if problems:
        raise InputError(problems)
    return records


# -- CSV ------------------------------------------------------------------------------------


def _csv_records(name: str, text: str, cls: type[T]) -> list[T]:
    # newline="": the csv module handles line endings itself, also inside quoted cells.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [column.strip() for column in reader.fieldnames or []]
    reader.fieldnames = header
    allowed = set(RELATION_COLUMNS + CONTACT_COLUMNS) if cls is Relation else set(PROJECT_COLUMNS)
    unknown = [
        col
        for col in header
        if col not in allowed and not (cls is Relation and col.startswith("extra."))
    ]
    if not header or unknown:
        message = (
            "has no header row"
            if not header
            else f"unknown column(s) {', '.join(unknown)}; see docs/cli.md for the layout"
        )
        raise InputError([InputProblem(file=name, location="line 1", field=None, message=message)])
    rows: list[tuple[str, object]] = []
    problems: list[InputProblem] = []
    for row in reader:
        location = f"line {reader.line_num}"
        if None in row:
            problems.append(
                InputProblem(
                    file=name, location=location, field=None, message="has more cells than headers"
                )
            )
            continue
        try:
            rows.append((location, _row_to_dict(row, cls)))
        except _CellError as error:
            problems.append(
                InputProblem(file=name, location=location, field=error.column, message=str(error))
            )
    try:
        records = _build(name, rows, cls, field_name=_column_of)
    except InputError as error:
        problems.extend(error.problems)
        records = []
    if problems:
        raise InputError(sorted(problems, key=_line_order))
    return records


def _line_order(problem: InputProblem) -> int:
    location = problem.location or "line 0"
    return int(location.split()[-1])


class _CellError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def _cell(column: str, value: str) -> object:
    if column in _INTEGERS:
        try:
            return int(value)
        except ValueError:
            raise _CellError(column, f"must be a whole number, not {value!r}") from None
    if column in _BOOLEANS:
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise _CellError(column, f"must be true or false, not {value!r}")
    return value


def _row_to_dict(
    row: dict[str, str], cls: type[Relation] | type[Project] | type[Booking]
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    contact: dict[str, Any] = {}
    for column, raw in row.items():
        value = (raw or "").strip()
        if not value:
            continue  # an empty cell is an absent field
        if cls is Relation and column == "roles":
            data["roles"] = [part for part in value.replace(";", " ").split() if part]
        elif column.startswith("contact."):
            contact[column.removeprefix("contact.")] = value
        elif column.startswith("extra."):
            data.setdefault("extra", {})[column.removeprefix("extra.")] = value
        elif "." in column:
            parent, child = column.split(".", 1)
            data.setdefault(parent, {})[child] = value
        else:
            data[column] = _cell(column, value)
    if contact:
        contact.setdefault("id", "1")
        contact["is_primary"] = True
        data["contacts"] = [contact]
    return data


def _column_of(path: str) -> str:
    """The CSV column a record field path came from (``contacts[0].email`` → ``contact.email``)."""
    if path.startswith("contacts[0]"):
        rest = path.removeprefix("contacts[0]").lstrip(".")
        return f"contact.{rest}" if rest else "contact.id"
    if path.startswith("roles["):
        return "roles"
    return path
