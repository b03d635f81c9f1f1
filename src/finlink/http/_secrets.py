"""Secrets that cannot leak by accident: a masked wrapper and a redacting log filter.

A :class:`Secret` prints as ``'***'`` everywhere (``repr``, ``str``, f-strings, tracebacks of
attrs classes that hold one) and hands its value out only through :meth:`Secret.reveal`.
:class:`RedactingFilter` is the second line of defence: attached to a log handler, it masks
every registered value in whatever reaches that handler, even from code that is not finlink's.

finlink's own HTTP code never logs headers, bodies or query strings in the first place; the
filter is for host applications (and their third-party libraries) that might.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Iterable

__all__ = ["MASK", "RedactingFilter", "Secret"]

#: What a secret looks like when printed or logged.
MASK = "***"


class Secret:
    """A credential (token, client secret, subscription key, koppelsleutel) that prints masked.

    It deliberately is *not* a ``str`` subclass: concatenating or formatting a ``str``
    subclass would silently hand out the value, which is exactly the accident this class
    exists to prevent. Call :meth:`reveal` at the one place the value is really needed
    (building a header or a form body).

    Args:
        value: The secret text.

    Raises:
        TypeError: If ``value`` is not a ``str``.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"Secret wraps a str, not {type(value).__name__}")
        self._value = value

    @classmethod
    def of(cls, value: str | Secret) -> Secret:
        """Wrap ``value``, or return it unchanged when it already is a :class:`Secret`."""
        return value if isinstance(value, Secret) else cls(value)

    def reveal(self) -> str:
        """Return the secret value itself. Use it only where the value must go on the wire."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return format(MASK, format_spec)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        # Constant time, so comparing a presented credential does not leak it by timing.
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))


class RedactingFilter(logging.Filter):
    """A logging filter that replaces every registered secret value by ``***``.

    It rewrites the record in place: the formatted message (``msg % args``), the exception
    text (the traceback is rendered once, masked, into ``exc_text`` and ``exc_info`` is
    dropped so no handler can render the raw exception again), ``stack_info`` and any string
    attribute added through ``extra=``. It never drops a record.

    Attach it to **handlers**, not loggers: a filter on a logger only sees records logged to
    that very logger, not those of its children (``finlink.http`` is a child of ``finlink``)::

        redact = RedactingFilter([client_secret, subscription_key])
        for handler in logging.getLogger().handlers:
            handler.addFilter(redact)

    Args:
        secrets: Values to mask from the start; :meth:`register` adds more later (a token
            obtained at run time). Empty values are ignored: masking ``""`` would mask nothing
            useful and everything else.

    Thread-safe: registering while other threads log is fine.
    """

    def __init__(self, secrets: Iterable[str | Secret] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()
        self.register(*secrets)

    def register(self, *secrets: str | Secret) -> None:
        """Mask these values from now on (a :class:`Secret` or its plain text)."""
        with self._lock:
            known = set(self._values)
            known.update(v for v in (Secret.of(s).reveal() for s in secrets) if v)
            # Longest first, so a secret that contains a shorter one is masked whole.
            self._values = tuple(sorted(known, key=len, reverse=True))

    def redact(self, text: str) -> str:
        """Return ``text`` with every registered value replaced by ``***``."""
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask secrets in ``record`` (in place) and let it through."""
        if not self._values:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            # A broken logging call elsewhere must not turn into an exception here (logging
            # reports those itself, from emit); keep what it said, masked.
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in vars(record).items():
            if isinstance(value, str) and name not in {"msg", "exc_text", "stack_info"}:
                setattr(record, name, self.redact(value))
        return True
