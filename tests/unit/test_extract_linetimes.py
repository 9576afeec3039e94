"""LineTimes: the time of a line from the line, an earlier date, 本日/today, or its paragraph."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from abusebox.extract.lines import EvidenceLine
from abusebox.extract.linetimes import LineTimes, TimeContext, relative_day
from abusebox.extract.timeparts import find_time_parts

JST = timezone(timedelta(hours=9))
REFERENCE = datetime(2026, 11, 19, 13, 0, tzinfo=JST)


def _times(texts: list[str], paragraphs: list[int], zone=None) -> list[datetime | None]:
    lines = [EvidenceLine(t, 0, p, False) for t, p in zip(texts, paragraphs, strict=True)]
    times = LineTimes(lines, [find_time_parts(t) for t in texts], TimeContext(REFERENCE, zone, None))
    return [times.for_line(i, line).time for i, line in enumerate(lines)]


def test_today_and_yesterday_date_a_bare_time_of_day():
    assert relative_day("本日 午前10時15分ごろ", TimeContext(REFERENCE, None, None)) is not None
    got = _times(
        ["本日 午前10時15分ごろ（日本時間）、", "IPアドレス 192.0.2.177 から大量のログイン試行"], [0, 0]
    )
    assert got == [datetime(2026, 11, 19, 1, 15, tzinfo=UTC)] * 2
    got = _times(["yesterday at 23:40 we saw 192.0.2.1"], [0], zone=UTC)
    assert got == [datetime(2026, 11, 18, 23, 40, tzinfo=UTC)]


def test_a_bare_time_of_day_without_a_day_word_stays_unknown():
    assert _times(["Blocked 203.0.113.70 at 10:20:30"], [0]) == [None]


def test_paragraph_window_start_and_far_apart_times():
    window = ["First seen: 2026-11-19 10:20 UTC", "Last seen: 2026-11-19 11:05 UTC", "source 192.0.2.1"]
    assert _times(window, [0, 0, 0])[2] == datetime(2026, 11, 19, 10, 20, tzinfo=UTC)
    apart = ["2026-11-01 10:00 UTC", "2026-11-05 10:00 UTC", "source 192.0.2.1"]
    assert _times(apart, [0, 0, 0])[2] is None
