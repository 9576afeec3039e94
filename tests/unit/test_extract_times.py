"""parse_time / find_times / stated_zone: every supported rendering returns the same instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from abusebox.extract.timeparts import detect_day_first, find_time_parts
from abusebox.extract.times import find_times, parse_time, stated_zone
from abusebox.extract.zones import parse_zone

JST = timezone(timedelta(hours=9))
REF = datetime(2026, 11, 20, 9, 0, tzinfo=JST)
FULLWIDTH_DIGITS = {ord(c): ord(c) + 0xFEE0 for c in "0123456789:/"}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
NAMED = {
    "JST": 540,
    "UTC": 0,
    "GMT": 0,
    "CET": 60,
    "CEST": 120,
    "PST": -480,
    "PDT": -420,
    "EST": -300,
    "EDT": -240,
    "KST": 540,
    "BST": 60,
}

offsets = st.sampled_from([-480, -420, -300, -240, 0, 60, 120, 330, 540, 570, 600, 780])
instants = st.datetimes(min_value=datetime(1996, 1, 1), max_value=datetime(2026, 11, 1))


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _render(local: datetime, minutes: int, kind: int) -> tuple[str, dict]:
    """One rendering of ``local`` (already in the zone of ``minutes``) and the kwargs it needs."""
    tz = timezone(timedelta(minutes=minutes))
    off = _offset(minutes)
    colon = f"{off[:3]}:{off[3:]}"
    mon = MONTHS[local.month - 1]
    hour12 = (local.hour % 12) or 12
    ampm = "PM" if local.hour >= 12 else "AM"
    forms = [
        (local.strftime("%Y-%m-%dT%H:%M:%S") + (colon if minutes else "Z"), {}),
        (local.strftime("%Y-%m-%d %H:%M:%S.123456") + colon, {}),
        (local.strftime(f"%a, %d {mon} %Y %H:%M:%S ") + off, {}),
        (local.strftime(f"%d/{mon}/%Y:%H:%M:%S ") + off, {}),
        (local.strftime("%Y/%m/%d %H:%M:%S"), {"default_tz": tz}),
        (local.strftime("%Y年%m月%d日 %H時%M分%S秒"), {"default_tz": tz}),
        (local.strftime("%Y年%m月%d日 %H:%M:%S").translate(FULLWIDTH_DIGITS), {"default_tz": tz}),
        (f"{mon} {local.day} {local:%H:%M:%S}", {"default_tz": tz, "reference": local + timedelta(hours=5)}),
        (f"{mon} {local.day}, {local.year} {hour12}:{local:%M:%S} {ampm} UTC{colon}", {}),
        (local.strftime("%Y-%m-%d %H:%M:%S") + f" GMT{colon}", {}),
        (local.strftime("%d.%m.%Y %H:%M:%S"), {"default_tz": tz}),
        (str(int(local.timestamp())), {}),
        (local.strftime("%Y-%m-%d %H:%M:%S"), {"reference": datetime(2026, 11, 20, tzinfo=tz)}),
    ]
    return forms[kind % len(forms)]


@settings(max_examples=300, deadline=None)
@given(naive=instants, minutes=offsets, kind=st.integers(0, 12))
def test_any_instant_in_any_supported_rendering_round_trips(naive, minutes, kind):
    local = naive.replace(tzinfo=timezone(timedelta(minutes=minutes)), microsecond=0)
    text, kwargs = _render(local, minutes, kind)
    assume(not text.isdigit() or len(text) == 10)  # epoch seconds in feeds: 10 digits (2001-2286)
    assert parse_time(text, **kwargs) == local.astimezone(UTC)


@settings(max_examples=100, deadline=None)
@given(naive=instants, name=st.sampled_from(sorted(NAMED)))
def test_named_zones_on_the_value(naive, name):
    local = naive.replace(tzinfo=timezone(timedelta(minutes=NAMED[name])), microsecond=0)
    for text in (
        local.strftime("%Y-%m-%d %H:%M:%S ") + name,
        local.strftime("%Y-%m-%d %H:%M:%S") + f" ({name})",
    ):
        assert parse_time(text) == local.astimezone(UTC)


@settings(max_examples=100, deadline=None)
@given(naive=instants, minutes=offsets)
def test_find_times_in_a_log_line(naive, minutes):
    local = naive.replace(tzinfo=timezone(timedelta(minutes=minutes)), microsecond=0)
    line = f"{local:%Y-%m-%dT%H:%M:%S}{_offset(minutes)} sshd[1]: Failed password from 192.0.2.1 port 22"
    hits = find_times(line)
    assert [h.time for h in hits] == [local.astimezone(UTC)]
    assert line[hits[0].start : hits[0].end] == hits[0].original


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026年11月19日 22時05分30秒", "2026-11-19T13:05:30"),
        ("2026年11月19日(木) 22:05", "2026-11-19T13:05:00"),
        ("2026年11月19日 午後3時", "2026-11-19T06:00:00"),
        ("2026年11月19日 午後3時半", "2026-11-19T06:30:00"),
        ("令和8年11月19日 午前10時20分", "2026-11-19T01:20:00"),
        ("平成31年4月1日 10:00", "2019-04-01T01:00:00"),
        ("令和元年5月1日 10時", "2019-05-01T01:00:00"),
        ("２０２６年１１月１９日　２２時０５分", "2026-11-19T13:05:00"),
        ("2026.11.19 10:20", "2026-11-19T01:20:00"),
        ("19/Nov/2026:10:20:30 +0900", "2026-11-19T01:20:30"),
        ("Thu Nov 19 03:14:15 JST 2026", "2026-11-18T18:14:15"),
        ("20261119T102030Z", "2026-11-19T10:20:30"),
        ("1763515230123", "2025-11-19T01:20:30"),
        ("2026-11-19 10:20 UTC+9", "2026-11-19T01:20:00"),
        ("19/11/2026 10:00", "2026-11-19T01:00:00"),
        ("11/19/2026 10:00 PM", "2026-11-19T13:00:00"),
        ("2026-11-19 10:20:30 +0000 UTC", "2026-11-19T10:20:30"),
        ("Thu Nov 19 2026 10:20:30 GMT+0900 (Japan Standard Time)", "2026-11-19T01:20:30"),
        ("2026-11-19T10:20:30+09:00 (JST)", "2026-11-19T01:20:30"),
    ],
)
def test_japanese_and_other_forms(value, expected):
    result = parse_time(value, reference=REF)
    assert result is not None and result.strftime("%Y-%m-%dT%H:%M:%S") == expected


@pytest.mark.parametrize(
    "value",
    [
        "1970-01-01 00:00:00",
        "2099-01-01 00:00",
        "2026-02-30 10:00",
        "0000000000",
        "2026-11-19 25:00",
        "13:00 PM",
        "03/04/2026 10:00",
        "hello",
        "2026-11-19 10:00 and 2026-11-20 11:00",
        "2026-11-23 10:00",
    ],
)
def test_absurd_ambiguous_or_not_a_time(value):
    assert parse_time(value, reference=REF) is None  # 2026-11-23 is past the Date header + 2 days


def test_zone_rule_default_then_reference_then_utc():
    assert parse_time("2026-11-19 10:00") == datetime(2026, 11, 19, 10, tzinfo=UTC)
    assert parse_time("2026-11-19 10:00", reference=REF) == datetime(2026, 11, 19, 1, tzinfo=UTC)
    cet = parse_zone("CET")
    assert parse_time("2026-11-19 10:00", default_tz=cet, reference=REF) == datetime(
        2026, 11, 19, 9, tzinfo=UTC
    )


def test_syslog_year_is_at_or_before_the_reference():
    ref = datetime(2027, 1, 2, 10, tzinfo=UTC)
    assert parse_time("Dec 31 23:59:59", reference=ref) == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert parse_time("Jan  2 09:00:00", reference=ref) == datetime(2027, 1, 2, 9, tzinfo=UTC)


def test_day_first_is_taken_from_other_dates_or_refused():
    assert detect_day_first("seen 25/11/2026 and 03/04/2026") is True
    assert detect_day_first("seen 11/25/2026 and 03/04/2026") is False
    assert detect_day_first("seen 03/04/2026") is None
    assert parse_time("03/04/2026 10:00", day_first=True) == datetime(2026, 4, 3, 10, tzinfo=UTC)
    assert parse_time("03/04/2026 10:00", day_first=False) == datetime(2026, 3, 4, 10, tzinfo=UTC)
    hits = find_times("25/11/2026 10:00 UTC first, then 03/04/2026 11:00 UTC")
    assert [h.time for h in hits] == [
        datetime(2026, 11, 25, 10, tzinfo=UTC),
        datetime(2026, 4, 3, 11, tzinfo=UTC),
    ]


def test_time_parts_keep_partial_values():
    parts = find_time_parts("2026年11月19日\n15:20:01 [UFW BLOCK] SRC=192.0.2.1")
    assert [(p.has_date, p.has_time) for p in parts] == [(True, False), (False, True)]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("Note: Local timezone is +0900", 540),
        ("All times are in CET.", 60),
        ("タイムゾーン: JST", 540),
        ("時刻はJSTです", 540),
        ("Time zone: PST", -480),
        ("Times below (UTC)", 0),
        ("日本時間で記載しています", 540),
        ("timestamps are UTC+9", 540),
        ("All times are Europe/Berlin local time", None),
    ],
)
def test_stated_zone(text, minutes):
    zone = stated_zone(text)
    assert zone is not None
    if minutes is not None:
        assert zone.utcoffset(None) == timedelta(minutes=minutes)
    else:
        assert zone.utcoffset(datetime(2026, 7, 1)) == timedelta(hours=2)  # IANA: summer time applies


def test_stated_zone_absent_or_conflicting():
    assert stated_zone("we saw attacks yesterday") is None
    assert stated_zone("JST here, PST there") is None


def test_one_megabyte_of_digits_and_separators_is_fast():
    import time

    for unit in ("1:", "12.", "2026-", "1/", "10:20 "):
        text = unit * (1_000_000 // len(unit))
        started = time.perf_counter()
        find_times(text)
        assert time.perf_counter() - started < 5.0


def test_snort_fast_alert_month_day_without_a_year():
    reference = datetime(2026, 11, 19, 20, 0, tzinfo=timezone(timedelta(hours=9)))
    line = "11/19-19:20:30.123456  [**] [1:2010935:3] ET SCAN {TCP} 203.0.113.61:43122 -> 198.51.100.20:1433"
    hits = find_times(line, reference=reference)
    assert [h.time for h in hits] == [datetime(2026, 11, 19, 10, 20, 30, tzinfo=UTC)]
    assert find_times("ranges 10/24-10/26", reference=reference) == []


@pytest.mark.parametrize(
    ("text", "offset_hours"),
    [
        ("NetFlow sample (times in UTC):", 0),
        ("Zeitstempel in UTC.", 0),
        ("Alle Zeitangaben in CET", 1),
    ],
)
def test_zone_cues_times_in(text, offset_hours):
    zone = stated_zone(text)
    assert zone is not None
    assert zone.utcoffset(None) == timedelta(hours=offset_hours)


# Every spelling of a month that the patterns take (timeparts._MON), and some they do not.
_MONTH_SPELLINGS = [
    *MONTHS, *(m.upper() for m in MONTHS), "January", "February", "March", "April", "June",
    "July", "August", "Sept", "September", "October", "November", "December",
]  # fmt: skip
_DATE_SHAPES = [
    "{m} 19 03:14:15",
    "19 {m} 2026 10:20",
    "19/{m}/2026:10:20:30 +0900",
    "{m} 19, 2026",
    "19-{m}-2026",
]


@pytest.mark.parametrize("month", _MONTH_SPELLINGS)
def test_the_month_gate_admits_every_month_spelling(month: str) -> None:
    from abusebox.extract import timeparts

    for shape in _DATE_SHAPES:
        text = shape.format(m=month)
        assert timeparts._MONTH_NAME.search(text), text
        found = find_time_parts(text)
        assert found and found[0].month is not None and found[0].day == 19, text


_TOKEN = st.one_of(
    st.sampled_from([*_MONTH_SPELLINGS, *(m.lower() for m in MONTHS), "Mon", "Thu", "ſep", "Dez", "Mai"]),
    st.integers(1, 31).map(str),
    st.integers(1995, 2030).map(str),
    st.sampled_from(["03:14:15", "10:20", "T", "Z", "+0900", "JST", "th", "at", "of"]),
)
_TIME_TEXT = st.lists(
    st.tuples(_TOKEN, st.sampled_from([" ", "  ", "\t", "-", "/", ":", ", ", ".", ""])), max_size=10
).map(lambda pairs: "".join(token + sep for token, sep in pairs))


@given(_TIME_TEXT)
def test_the_month_gate_never_hides_a_date(text: str) -> None:
    # The gate only skips the patterns that need a month name: with it always open,
    # every text reads the same.
    import re

    from abusebox.extract import timeparts

    found = find_time_parts(text)
    gate = timeparts._MONTH_NAME
    timeparts._MONTH_NAME = re.compile("")
    try:
        assert find_time_parts(text) == found
    finally:
        timeparts._MONTH_NAME = gate


_CLOCK_TOKEN = st.sampled_from(
    ["03:14:15", "3:14", "12:00", "10:20 PM", "午後", "午前", "3時", "15時20分", "半", "时", "시", "分",
     "秒", " ", "\t", ":", ".", "-", "/", "~", "+09:00", "JST", "(JST)", "Z", "T", "2026", "19", "1", "x",
     "Nov", "Thu", "Wednesday", "Sept.", "DEC", "19th", "19/Nov/2026:", ",", "年", "月", "日",
     "Wednesday., ", "   ", " - ", "午後 ", "12 時", "Sun.,\t"]
)  # fmt: skip

# Each pattern's longest reach before its mark, in text a pattern must find.
_FARTHEST = {
    0: "x 19/Nov/2026:10:20:30 +0900",
    4: "x Wednesday.,   19th - Nov 2026 10:20",
    5: "x Wednesday.,   Nov 19 03:14:15",
    8: "x 午後 12 時 and 午後 11:30 and\t3 时",
}


@pytest.mark.parametrize("index", sorted(_FARTHEST))
def test_a_pattern_tried_at_its_marks_reaches_as_far_back_as_it_can_start(index: int) -> None:
    from abusebox.extract import timeparts

    text = _FARTHEST[index]
    by_month, back, starts = timeparts._ANCHORS[index]
    pattern = timeparts._PATTERNS[index]
    marks = [m.start() for m in (timeparts._MONTH_NAME if by_month else timeparts._CLOCK_MARK).finditer(text)]
    whole = [m.span() for m in pattern.finditer(text)]
    assert whole and whole[0][0] == 2  # the match starts at the far end
    assert [m.span() for m in timeparts._anchored(pattern, text, marks, back, starts)] == whole


@given(st.lists(_CLOCK_TOKEN, max_size=14).map("".join))
def test_patterns_tried_at_their_marks_find_what_a_whole_scan_finds(text: str) -> None:
    from abusebox.extract import timeparts

    months = [m.start() for m in timeparts._MONTH_NAME.finditer(text)]
    clocks = [m.start() for m in timeparts._CLOCK_MARK.finditer(text)]
    for index, (by_month, back, starts) in timeparts._ANCHORS.items():
        pattern = timeparts._PATTERNS[index]
        anchored = timeparts._anchored(pattern, text, months if by_month else clocks, back, starts)
        assert [(m.span(), m.groupdict()) for m in anchored] == [
            (m.span(), m.groupdict()) for m in pattern.finditer(text)
        ], index


_CUE_PIECES = st.sampled_from(
    ["Time zone: ", "TIMEZONE=", "timezone ", "TZ ", "tz:", "All times are in ", "ALL TIMES ", "times are ",
     "Timestamps are in ", "timeſtamps are ", "Zeitstempel sind in ", "タイムゾーン：", "時刻は", "JST",
     "jst", "CEST", "cest", "UTC+9", "utc+09:00", "GMT-5", "+0900", "Asia/Tokyo", "asia/tokyo", "日本時間",
     "\u212a", "İ", "ı", "ſ", " ", "\n", "x", "the logs"]
)  # fmt: skip


@given(st.lists(_CUE_PIECES, max_size=10).map("".join))
def test_a_cue_read_in_lowered_text_names_the_zone_the_case_blind_cue_names(text: str) -> None:
    from abusebox.extract import zones

    cue = zones._CUE.search(text)
    assert zones._cued_zone(text) == (cue.group("zone") if cue else None)


def test_a_cue_in_any_case_names_its_zone_as_written():
    from abusebox.extract import zones

    assert zones._cued_zone("ALL TIMES ARE IN jst below") == "jst"
    assert zones._cued_zone("Time Zone: Asia/Tokyo") == "Asia/Tokyo"
    assert zones._cued_zone("timeſtamps are in CET") == "CET"  # ſ folds to s: the case-blind cue
    assert zones.stated_zone("All times are in CET") is not None
