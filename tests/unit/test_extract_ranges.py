"""A stated range keeps both ends: ``time`` is its start, ``time_end`` its end (UTC).

Mails under tests/data/ranges/ were written for this test (English and Japanese, a zone
on one or both ends, dates on one or both ends, across midnight, a report period that is
not a range); the property test renders generated ranges and reads them back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import DATA

from abusebox.core.config import Settings
from abusebox.core.models import Observation
from abusebox.extract.freeform import extract_freeform
from abusebox.parsing.mime import parse_message
from abusebox.pipeline.analyze import analyze

RANGES = DATA / "ranges"

EXPECTED = {
    "en_cet_across_midnight.eml": ("198.51.100.41", "2026-11-18T22:50:00Z", "2026-11-18T23:20:00Z"),
    "en_from_to_zone_on_end.eml": ("203.0.113.58", "2026-11-19T03:10:00Z", "2026-11-19T03:40:00Z"),
    "ja_kara_made.eml": ("192.0.2.201", "2026-11-18T14:50:00Z", "2026-11-18T15:20:00Z"),
    "ja_fullwidth_wave.eml": ("198.51.100.77", "2026-11-19T12:50:00Z", "2026-11-19T13:15:00Z"),
    # "Report period: 2026-11-01 to 2026-11-30" is a period of dates, not when it was seen.
    "en_report_period_dates.eml": ("203.0.113.90", "2026-11-19T03:14:15Z", None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_range_mails(name: str) -> None:
    contract = analyze((RANGES / name).read_bytes(), Settings()).contract()
    observations = contract["observations"]
    assert isinstance(observations, list)
    assert [(o["ip"], o["time"], o["time_end"]) for o in observations] == [EXPECTED[name]]


def test_every_range_mail_is_listed() -> None:
    assert sorted(p.name for p in RANGES.glob("*.eml")) == sorted(EXPECTED)


def _mail(body: str, date: str = "Thu, 19 Nov 2026 12:00:00 +0000") -> bytes:
    head = (
        f"From: reporter@example.org\nTo: abuse@example.net\nSubject: Abuse report\nDate: {date}\n"
        "Message-ID: <r@example.org>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    )
    return head.encode() + body.encode("utf-8")


def _times(body: str, date: str = "Thu, 19 Nov 2026 12:00:00 +0000") -> list[tuple[str | None, str | None]]:
    extraction = extract_freeform(parse_message(_mail(body, date)))
    return [(_z(o.time), _z(o.time_end)) for o in extraction.observations if o.role == "source"]


def _z(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # zone on the start only holds for the end too
        (
            "Scan from 192.0.2.9 on 2026-11-18 23:50 +0100 - 00:20",
            ("2026-11-18T22:50:00Z", "2026-11-18T23:20:00Z"),
        ),
        # a hyphen without spaces between two times of day
        ("192.0.2.9 2026-11-19 21:50-22:15 JST", ("2026-11-19T12:50:00Z", "2026-11-19T13:15:00Z")),
        ("192.0.2.9 2026/11/19 21:50－22:15 JST", ("2026-11-19T12:50:00Z", "2026-11-19T13:15:00Z")),
        (
            "flood from 192.0.2.9 between 2026-11-19 04:00 and 04:20 UTC",
            ("2026-11-19T04:00:00Z", "2026-11-19T04:20:00Z"),
        ),
        (
            "192.0.2.9 2026-11-19 04:00 until 2026-11-19 05:30 UTC",
            ("2026-11-19T04:00:00Z", "2026-11-19T05:30:00Z"),
        ),
        (
            "192.0.2.9 から 2026年11月19日 10時00分～10時45分 JST",
            ("2026-11-19T01:00:00Z", "2026-11-19T01:45:00Z"),
        ),
        # an ISO offset after seconds is the time's zone, not a range
        ("192.0.2.9 2026-11-19T10:00:00-05:00", ("2026-11-19T15:00:00Z", None)),
        # an end with its own date before the start: not a range
        ("192.0.2.9 2026-11-19 10:00 UTC ~ 2026-11-18 09:00 UTC", ("2026-11-19T10:00:00Z", None)),
        # longer than 31 days: a reporting period
        ("192.0.2.9 2026-09-01 00:00 UTC to 2026-11-19 00:00 UTC", ("2026-09-01T00:00:00Z", None)),
        # a port range is not a time range
        ("192.0.2.9 scanned ports 20-25 at 2026-11-19 03:00 UTC", ("2026-11-19T03:00:00Z", None)),
    ],
)
def test_range_forms(line: str, expected: tuple[str, str | None]) -> None:
    assert _times(line) == [expected]


def test_a_range_stated_apart_from_the_address_is_its_range() -> None:
    body = "Source: 192.0.2.9\n\nObserved: 2026-11-19 21:50 〜 22:15 JST\n"
    assert _times(body) == [("2026-11-19T12:50:00Z", "2026-11-19T13:15:00Z")]


def test_an_observation_refuses_an_end_before_its_time_or_without_one() -> None:
    t = datetime(2026, 11, 19, tzinfo=UTC)
    with pytest.raises(ValueError, match="time_end"):
        Observation(ip="192.0.2.9", time=t, time_end=t - timedelta(seconds=1))
    with pytest.raises(ValueError, match="time_end"):
        Observation(ip="192.0.2.9", time_end=t)
    assert Observation(ip="192.0.2.9", time=t, time_end=t).last_time == t


_JOINERS = ("〜", "～", "~", " - ", " to ", " until ", "から", " – ")
instants = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2026, 11, 1))
offsets = st.sampled_from([0, 60, 120, 330, 540, -300, -480, 345, 600])


def _offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


@settings(max_examples=150, deadline=None)
@given(
    naive=instants,
    minutes=offsets,
    length=st.integers(0, 20 * 3600),
    joiner=st.sampled_from(_JOINERS),
    end_date=st.booleans(),
    zone_on=st.sampled_from(["start", "end", "both", "header"]),
    japanese=st.booleans(),
    seconds=st.booleans(),
)
def test_a_generated_range_round_trips_both_ends_in_utc(
    naive: datetime,
    minutes: int,
    length: int,
    joiner: str,
    end_date: bool,
    zone_on: str,
    japanese: bool,
    seconds: bool,
) -> None:
    tz = timezone(timedelta(minutes=minutes))
    start = naive.replace(tzinfo=tz, microsecond=0)
    if not seconds:
        start = start.replace(second=0)
        length -= length % 60
    end = start + timedelta(seconds=length)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    day = "%Y年%m月%d日 " if japanese else "%Y-%m-%d "
    zone = " " + _offset(minutes)
    first = start.strftime(day + clock) + (zone if zone_on in ("start", "both") else "")
    last = end.strftime((day if end_date else "") + clock) + (zone if zone_on in ("end", "both") else "")
    line = f"Scan from 192.0.2.9 at {first}{joiner}{last}"
    date = (end + timedelta(hours=3)).strftime("%a, %d %b %Y %H:%M:%S ") + _offset(minutes)
    expected = (_z(start.astimezone(UTC)), _z(end.astimezone(UTC)))
    assert _times(line, date) == [expected], line


def test_parse_prints_both_ends(capsys: pytest.CaptureFixture[str]) -> None:
    from abusebox.cli import main

    assert main(["parse", str(RANGES / "ja_kara_made.eml")]) == 0
    assert "2026-11-18T14:50:00Z to 2026-11-18T15:20:00Z" in capsys.readouterr().out
    assert main(["parse", "--json", str(RANGES / "en_report_period_dates.eml")]) == 0
    (observation,) = json.loads(capsys.readouterr().out)["observations"]
    assert list(observation) == ["ip", "time", "time_end", "category", "port", "evidence"]
    assert observation["time_end"] is None


def test_log_lines_inside_a_stated_range_leave_the_range_to_an_undated_address() -> None:
    body = (
        "Host 192.0.2.9 scanned us.\n\n"
        "Detected: 2026/11/19 03:10 - 03:25 UTC\n\n"
        "2026/11/19 03:10:01 DROP SRC=192.0.2.9 DST=198.51.100.30 DPT=23\n"
        "2026/11/19 03:10:02 DROP SRC=192.0.2.9 DST=198.51.100.31 DPT=23\n"
        "2026/11/19 03:10:04 DROP SRC=192.0.2.9 DST=198.51.100.32 DPT=23\n"
        "2026/11/19 03:11:09 DROP SRC=192.0.2.9 DST=198.51.100.33 DPT=23\n"
    )
    assert _times(body)[0] == ("2026-11-19T03:10:00Z", "2026-11-19T03:25:00Z")
    # a time outside the range is another time of the window: the range's end is not the window's
    outside = body.replace("03:11:09", "04:40:00")
    assert _times(outside)[0] == ("2026-11-19T03:10:00Z", None)
