"""Construction-time checks: only what would make a record meaningless.

A model is built as given; it is never silently changed. What construction refuses is what no
later step could interpret: a naive datetime (which time zone?), money as ``float`` (which cents?),
a value of the wrong kind. Business rules (a valid IBAN, a known country) are checked by
:func:`finlink.validate`, which reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from finlink._errors import Problem, ValidationError


class StructureChecker:
    """Collects structural problems while a record's ``__attrs_post_init__`` runs."""

    __slots__ = ("problems", "subject")

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.problems: list[Problem] = []

    def add(self, path: str, rule: str, message: str, value: object = None) -> None:
        """Record one problem."""
        shown = None if value is None else repr(value)
        self.problems.append(Problem(path=path, rule=rule, message=message, value=shown))

    def text(self, path: str, value: object, *, optional: bool = True) -> None:
        """``value`` must be a ``str`` (or ``None`` when optional)."""
        if value is None and optional:
            return
        if not isinstance(value, str):
            self.add(path, "type", f"must be text, not {type(value).__name__}", value)

    def boolean(self, path: str, value: object) -> None:
        """``value`` must be a ``bool``."""
        if not isinstance(value, bool):
            self.add(path, "type", f"must be true or false, not {type(value).__name__}", value)

    def integer(self, path: str, value: object, *, optional: bool = True) -> None:
        """``value`` must be an ``int`` (not a bool)."""
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, "type", f"must be a whole number, not {type(value).__name__}", value)

    def money(self, path: str, value: object, *, optional: bool = False) -> None:
        """``value`` must be a finite :class:`~decimal.Decimal`; floats lose cents."""
        if value is None and optional:
            return
        if isinstance(value, float):
            self.add(
                path,
                "decimal_required",
                "money must be a Decimal (e.g. Decimal('12.50')), not a float, "
                "which cannot hold cents exactly",
                value,
            )
        elif not isinstance(value, Decimal):
            self.add(path, "type", f"must be a Decimal, not {type(value).__name__}", value)
        elif not value.is_finite():
            self.add(path, "finite", "must be a finite amount", value)

    def aware(self, path: str, value: object, *, optional: bool = True) -> None:
        """``value`` must be a timezone-aware :class:`~datetime.datetime`."""
        if value is None and optional:
            return
        if not isinstance(value, datetime):
            self.add(path, "type", f"must be a datetime, not {type(value).__name__}", value)
        elif value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            self.add(
                path,
                "timezone_required",
                "must be timezone-aware (e.g. datetime(..., tzinfo=timezone.utc)); "
                "a naive datetime is ambiguous",
                value,
            )

    def day(self, path: str, value: object, *, optional: bool = True) -> None:
        """``value`` must be a :class:`~datetime.date` and not a datetime."""
        if value is None and optional:
            return
        if isinstance(value, datetime) or not isinstance(value, date):
            self.add(path, "type", f"must be a date, not {type(value).__name__}", value)

    def member(self, path: str, value: object, enum: type[Enum]) -> None:
        """``value`` must be a member of ``enum``."""
        if not isinstance(value, enum):
            allowed = ", ".join(str(m.value) for m in enum)
            self.add(path, "type", f"must be a {enum.__name__} ({allowed})", value)

    def sequence(self, path: str, value: object, item_type: type) -> Iterable[object]:
        """``value`` must be a tuple of ``item_type``; returns the items to look into."""
        if not isinstance(value, tuple):
            self.add(path, "type", f"must be a tuple, not {type(value).__name__}")
            return ()
        for index, item in enumerate(value):
            if not isinstance(item, item_type):
                self.add(
                    f"{path}[{index}]",
                    "type",
                    f"must be a {item_type.__name__}, not {type(item).__name__}",
                )
        return value

    def done(self) -> None:
        """Raise one :class:`ValidationError` with every problem found, if any."""
        if self.problems:
            raise ValidationError(self.problems, subject=self.subject)
