"""What the commands print: JSON for programs, rich tables and text for people, exit statuses."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = [
    "EXIT_ATTENTION",
    "EXIT_OK",
    "EXIT_SETUP",
    "dump_json",
    "json_option",
    "print_table",
    "progress",
    "stderr_console",
    "stdout_console",
]

#: Everything went well.
EXIT_OK = 0
#: Records failed, were invalid, or wait for review (or, for listings, such records exist).
EXIT_ATTENTION = 1
#: A configuration, credential or input-file problem; nothing was sent.
EXIT_SETUP = 2

json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print machine-readable JSON on stdout instead of text.",
)


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def dump_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (Decimals and dates as strings)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_default))


def stdout_console() -> Console:
    """A rich console on the current stdout (wide when not a terminal, so lines never wrap)."""
    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:
        console = Console(file=sys.stdout, highlight=False, width=200, no_color=True)
    return console


def stderr_console() -> Console:
    """A rich console on the current stderr."""
    return Console(file=sys.stderr, highlight=False)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a table on stdout; ``(none)`` under the title when there are no rows."""
    console = stdout_console()
    if not rows:
        console.print(f"{title}: (none)")
        return
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        # Values are data, never rich markup: "[max_length]" in a reason must stay visible.
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)


class _Ticker:
    """Advances the current progress task; does nothing without a live progress bar."""

    def __init__(self, bar: Progress | None) -> None:
        self._bar = bar
        self._task: Any = None

    def phase(self, label: str, total: int) -> None:
        """Start a new task of ``total`` steps, finishing the previous one."""
        if self._bar is None:
            return
        if self._task is not None:
            self._bar.update(self._task, completed=self._bar.tasks[self._task].total)
        self._task = self._bar.add_task(label, total=total)

    def advance(self) -> None:
        """One step done in the current task."""
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)


@contextmanager
def progress(enabled: bool) -> Iterator[_Ticker]:
    """A rich progress display on stderr, shown only when ``enabled`` and stderr is a terminal."""
    console = stderr_console()
    if not enabled or not console.is_terminal:
        yield _Ticker(None)
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with bar:
        yield _Ticker(bar)
