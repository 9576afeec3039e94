"""The bulk writer's fast SQLite text for times is exactly what SQLAlchemy would store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from abusebox.store.bulk import _sqlite_processor, sqlite_utc_text
from abusebox.store.schema import UtcDateTime

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
