"""Canonical JSON and hashes of stored payloads, and the package's public names."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import finlink.sync.payloads as engine_payloads
import finlink.sync.store as store_package
from finlink.sync.store import (
    _batches,
    _failures,
    _protocol,
    _records,
    canonical_json,
    payload_hash,
    sqlite,
)

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=6))
def test_the_hash_does_not_depend_on_key_order(payload: dict[str, object]) -> None:
    reordered = dict(reversed(list(payload.items())))
    assert canonical_json(reordered) == canonical_json(payload)
    assert payload_hash(reordered) == payload_hash(payload)


def test_money_is_stored_as_its_exact_decimal_string() -> None:
    assert canonical_json({"amount": Decimal("0.10")}) == '{"amount":"0.10"}'
    # 0.1 + 0.2 as floats would be 0.30000000000000004; as Decimals it stays exact.
    assert canonical_json({"sum": Decimal("0.1") + Decimal("0.2")}) == '{"sum":"0.3"}'


def test_a_changed_amount_changes_the_hash() -> None:
    assert payload_hash({"amount": Decimal("10.00")}) != payload_hash({"amount": Decimal("10.01")})


def test_dates_and_aware_datetimes_become_iso_text() -> None:
    cet = timezone(timedelta(hours=1))
    text = canonical_json({"d": date(2026, 1, 5), "t": datetime(2026, 1, 5, 10, 0, tzinfo=cet)})
    assert text == '{"d":"2026-01-05","t":"2026-01-05T10:00:00+01:00"}'


def test_tuples_become_lists_and_sets_sorted_lists() -> None:
    assert canonical_json({"t": ("b", "a"), "s": frozenset({"b", "a"})}) == (
        '{"s":["a","b"],"t":["b","a"]}'
    )


def test_text_is_kept_as_utf8_not_escaped() -> None:
    assert canonical_json({"city": "Liège"}) == '{"city":"Liège"}'


def test_values_json_cannot_hold_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        canonical_json({"t": datetime(2026, 1, 5, 10, 0)})  # noqa: DTZ001 - the point
    with pytest.raises(ValueError, match="JSON"):
        canonical_json({"x": math.nan})
    with pytest.raises(TypeError, match="bytes"):
        canonical_json({"pdf": b"%PDF"})


def test_utc_converts_aware_times_and_refuses_naive_ones() -> None:
    cet = timezone(timedelta(hours=1))
    assert _records.utc(datetime(2026, 1, 5, 10, 0, tzinfo=cet)) == datetime(
        2026, 1, 5, 9, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        _records.utc(datetime(2026, 1, 5, 10, 0))  # noqa: DTZ001 - the point


def test_the_package_exports_every_public_name_sorted() -> None:
    expected = {
        *_records.__all__,
        *_protocol.__all__,
        *sqlite.__all__,
        *_failures.__all__,
        *_batches.__all__,
    }
    assert set(store_package.__all__) == expected
    assert list(store_package.__all__) == sorted(store_package.__all__)
    for name in expected:
        assert getattr(store_package, name) is not None


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=6))
def test_the_snapshot_hash_agrees_with_the_engines_payload_hash(payload: dict[str, object]) -> None:
    # The engine compares link.snapshot_hash with finlink.sync.payloads.payload_hash of the
    # record's current payload: for plain JSON values the two must be the same digest.
    assert payload_hash(payload) == engine_payloads.payload_hash(payload)
