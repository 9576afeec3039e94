"""The bulk writer's fast SQLite text for times is exactly what SQLAlchemy would store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from abusebox.store.base import UtcDateTime
from abusebox.store.bulk import _is_text, _sqlite_processor, sqlite_utc_text
from abusebox.store.db import _storable, storable_all

_DIALECT = sqlite.dialect()
_SQLALCHEMY = UtcDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)
_ZONES = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(min_value=-23 * 60, max_value=23 * 60)
)


_TIMES = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=_ZONES)


@given(st.one_of(_TIMES, st.datetimes(timezones=st.just(UTC))))
def test_fast_text_equals_sqlalchemys(value: datetime) -> None:
    assert _SQLALCHEMY is not None
    assert sqlite_utc_text(value) == _SQLALCHEMY(value)


def test_none_and_naive_times() -> None:
    assert sqlite_utc_text(None) is None
    with pytest.raises(ValueError, match="naive"):
        sqlite_utc_text(datetime(2026, 11, 19, 3, 14))
    assert sqlite_utc_text(datetime(2026, 11, 19, 12, 14, tzinfo=timezone(timedelta(hours=9)))) == (
        "2026-11-19 03:14:00.000000"
    )


def test_only_utc_times_take_the_fast_path() -> None:
    assert _sqlite_processor(UtcDateTime(), _DIALECT) is sqlite_utc_text
    from sqlalchemy import String

    assert _sqlite_processor(String(), _DIALECT) is not sqlite_utc_text


_VALUES = st.lists(
    st.one_of(
        st.none(),
        st.integers(),
        st.text(alphabet=st.characters(codec=None, categories=None), max_size=8),
        st.text(alphabet="ab\x00\ud800\udfff日", max_size=5),
        st.sampled_from(["", "ascii", "nul\x00", "\udcff", "日本"]),
    ),
    max_size=12,
)


@given(_VALUES)
def test_storable_all_replaces_exactly_what_each_value_would(values: list[object]) -> None:
    """The one-pass check over a column (its ASCII shortcut included) gives each value's own
    replacement: NUL and lone surrogates become U+FFFD, nothing else changes."""
    expected = [_storable(v) for v in values]
    assert storable_all(values) == expected
    assert all(
        "\x00" not in v and not any(0xD800 <= ord(c) <= 0xDFFF for c in v)
        for v in expected
        if isinstance(v, str)
    )


def test_which_columns_are_text() -> None:
    from abusebox.store.schema import IncidentEventRow, IncidentRow, ReportRow

    incidents, events = IncidentRow.__table__.c, IncidentEventRow.__table__.c
    assert _is_text(incidents.group_key) and _is_text(incidents.resolution) and _is_text(events.actor)
    assert not _is_text(incidents.id) and not _is_text(incidents.ours) and not _is_text(incidents.asn)
    assert not _is_text(incidents.first_seen) and not _is_text(incidents.abuse_contacts)
    assert not _is_text(ReportRow.__table__.c.reasons)  # ReasonList: JSON underneath


def test_converted_values_match_one_by_one_conversion() -> None:
    """Times are converted once per distinct instant for all the time columns of an insert;
    other processed values once per object, never by equality (JSON true is not 1)."""
    from sqlalchemy import JSON

    from abusebox.store.bulk import _converted

    tokyo = timezone(timedelta(hours=9))
    a = datetime(2026, 11, 19, 3, 14, tzinfo=UTC)
    same_instant = datetime(2026, 11, 19, 12, 14, tzinfo=tokyo)
    times: dict[datetime, str] = {}
    first = _converted(sqlite_utc_text, [a, None, same_instant], False, times)
    second = _converted(sqlite_utc_text, [same_instant, a], False, times)
    assert first == ["2026-11-19 03:14:00.000000", None, "2026-11-19 03:14:00.000000"]
    assert second == first[::2] and len(times) == 1
    json_processor = JSON().dialect_impl(_DIALECT).bind_processor(_DIALECT)
    shared: list[str] = []
    values: list[object] = [True, 1, shared, shared, ["x"], None, {"k": "日本"}]
    assert _converted(json_processor, values, False, {}) == [json_processor(v) for v in values]
    assert _converted(json_processor, values, False, {})[:2] == ["true", "1"]
    assert _converted(None, ["a\x00", "b"], True, {}) == ["a\ufffd", "b"]
    assert _converted(None, ["a\x00", "b"], False, {}) == ["a\x00", "b"]
