"""Secret masks itself; RedactingFilter masks registered values in whatever is logged."""

from __future__ import annotations

import logging

import pytest

from finlink.http import MASK, RedactingFilter, Secret

VALUE = "s3cr3t-client-secret-value"


def test_secret_never_prints_its_value() -> None:
    secret = Secret(VALUE)
    shown = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret:>40}",
        "%s" % (secret,),  # noqa: UP031 - %-formatting is what logging does
    ]
    for text in shown:
        assert VALUE not in text
    assert repr(secret) == "Secret('***')"
    assert str(secret) == MASK


def test_secret_reveals_on_request_only() -> None:
    assert Secret(VALUE).reveal() == VALUE


def test_secret_of_wraps_strings_and_keeps_secrets() -> None:
    secret = Secret(VALUE)
    assert Secret.of(secret) is secret
    assert Secret.of(VALUE) == secret


def test_secret_compares_by_value_and_hashes_consistently() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert len({Secret("a"), Secret("a"), Secret("b")}) == 2


def test_secret_truthiness_follows_the_value() -> None:
    assert Secret("x")
    assert not Secret("")


def test_secret_refuses_non_strings() -> None:
    with pytest.raises(TypeError, match="wraps a str"):
        Secret(b"bytes")  # type: ignore[arg-type]


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("finlink.test", logging.DEBUG, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_filter_masks_values_in_message_and_args() -> None:
    redact = RedactingFilter([VALUE, Secret("subkey-123")])
    record = _record("sending %s with key %s", VALUE, "subkey-123")
    assert redact.filter(record) is True
    assert record.getMessage() == "sending *** with key ***"


def test_filter_masks_exception_text_and_drops_the_raw_exception() -> None:
    redact = RedactingFilter([VALUE])
    try:
        raise RuntimeError(f"token {VALUE} refused")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "finlink.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    redact.filter(record)
    assert record.exc_info is None
    assert record.exc_text is not None
    assert VALUE not in record.exc_text
    assert "token *** refused" in record.exc_text
    formatted = logging.Formatter().format(record)
    assert VALUE not in formatted
    assert "token *** refused" in formatted


def test_filter_masks_precomputed_exc_text_stack_info_and_extra_fields() -> None:
    redact = RedactingFilter()
    redact.register(VALUE)
    record = _record("plain", header=f"Bearer {VALUE}", count=3)
    record.exc_text = f"Traceback: {VALUE}"
    record.stack_info = f"Stack: {VALUE}"
    redact.filter(record)
    assert record.exc_text == "Traceback: ***"
    assert record.stack_info == "Stack: ***"
    assert vars(record)["header"] == "Bearer ***"
    assert vars(record)["count"] == 3


def test_filter_masks_the_longer_of_overlapping_secrets_whole() -> None:
    redact = RedactingFilter(["abc", "abcdef"])
    assert redact.redact("x abcdef y abc") == "x *** y ***"


def test_filter_ignores_empty_values_and_leaves_records_alone_without_secrets() -> None:
    redact = RedactingFilter(["", Secret("")])
    record = _record("value %s", 5)
    assert redact.filter(record) is True
    assert record.args == (5,)
    assert record.getMessage() == "value 5"


def test_filter_on_a_handler_masks_records_of_child_loggers() -> None:
    seen: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    handler = ListHandler()
    handler.addFilter(RedactingFilter([VALUE]))
    parent = logging.getLogger("finlink.redaction-test")
    parent.addHandler(handler)
    parent.setLevel(logging.DEBUG)
    try:
        logging.getLogger("finlink.redaction-test.child").debug("secret is %s", VALUE)
    finally:
        parent.removeHandler(handler)
    assert seen == ["secret is ***"]


def test_filter_survives_a_logging_call_with_broken_arguments() -> None:
    redact = RedactingFilter([VALUE])
    record = _record("two values %s %s", VALUE)
    assert redact.filter(record) is True
    assert VALUE not in record.getMessage()
    assert record.getMessage() == "two values %s %s ('***',)"
