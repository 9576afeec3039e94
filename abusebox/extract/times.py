"""Find and parse times as reports write them, returning aware UTC datetimes (second precision).

One set of patterns serves both ``parse_time`` (a feed column) and ``find_times`` (log
lines and prose). A match yields *parts* (date and/or time of day, maybe a zone); a
value without a zone takes ``default_tz``, else the reference's (Date header's) offset,
else UTC. Years missing from syslog lines are the ones that put the time at or before
the reference. Day/month order is never guessed: ``03/04/2026`` needs ``day_first``
(or other unambiguous dates in the same text, see ``detect_day_first``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo

from abusebox.extract.zones import ABBREVIATION_PATTERN, ZONE_PATTERN, parse_zone, stated_zone
from abusebox.parsing.text import fold_width

__all__ = [
    "TimeHit",
    "TimeParts",
    "combine",
    "combine_range",
    "day_first_from",
    "detect_day_first",
    "find_time_parts",
    "find_times",
    "parse_time",
    "range_ends",
    "stated_zone",
]

EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MON = (
    r"(?P<mon>(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
    r"|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\.?)(?![A-Za-z])"
)
_DOW = r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{0,6}\.?,?[ \t]{1,3})?"
_HMS = (
    r"(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:[.,][0-9]{1,9})?)?"
    r"(?:[ \t]?(?P<ap>[AaPp])\.?[Mm]\.?(?![A-Za-z]))?"
)
_JHMS = (
    r"(?P<jap>午前|午後)?[ \t]?(?P<JH>[0-9]{1,2})[ \t]?[時时시][ \t]?"
    r"(?:(?P<JM>[0-9]{1,2})[ \t]?[分분][ \t]?(?:(?P<JS>[0-9]{1,2})[ \t]?[秒초])?|半)?"
)
# A zone, then maybe its name: "+0900 (JST)", "+0000 UTC" (Go), "GMT+0900 (Japan Standard Time)" (JS).
# A zone may also stand in the next cell of a CSV row ("2026-10-01 10:00:00,CEST,..." or
# ";+02:00;"): a time-zone column, one per row.
_ZONE = (
    rf"(?:(?:[ \t]{{0,2}}|[ \t]{{0,2}}[,;|\t][ \t]{{0,2}}(?=[A-Z+-]))(?P<zone>{ZONE_PATTERN})"
    r"(?:[ \t]?\((?:[A-Z]{2,5}|[A-Z][a-z]+(?: [A-Z][a-z]+){1,4})\)"
    rf"|[ \t](?:{ABBREVIATION_PATTERN})(?![A-Za-z]))?)?"
)
# Separators are spaces and tabs, never a line break: a date on one line and a time on
# the next are combined by the caller, deliberately (see freeform.py).
_TIME_AFTER_DATE = (
    r"(?:(?:T|[ \t]{1,3}|,[ \t]{0,2}|[ \t]{1,2}(?:at|@)[ \t]{1,2})(?:(?P<ap0>午前|午後)[ \t]?)?"
    rf"{_HMS}{_ZONE})?"
)

_PATTERNS: tuple[re.Pattern[str], ...] = (
    # Apache/nginx CLF: 19/Nov/2026:10:20:30 +0900
    re.compile(rf"(?<![0-9])(?P<d>[0-9]{{1,2}})/{_MON}/(?P<y>[0-9]{{4}}):{_HMS}{_ZONE}"),
    # ISO 8601 and relatives: 2026-11-19T10:20:30Z, 2026/11/19 10:20:30, 2026.11.19 10:20
    re.compile(
        r"(?<![0-9./-])(?<![0-9]:)(?P<y>(?:19|20)[0-9]{2})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"
        rf"(?![0-9]){_TIME_AFTER_DATE}"
    ),
    # Basic ISO: 20261119T102030Z
    re.compile(
        r"(?<![0-9])(?P<y>(?:19|20)[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2})T"
        rf"(?P<H>[0-9]{{2}})(?P<M>[0-9]{{2}})(?P<S>[0-9]{{2}}){_ZONE}"
    ),
    # Numeric day/month or month/day: 19.11.2026 10:20, 11/19/2026 10:20:30 PM
    re.compile(
        r"(?<![0-9.:/-])(?P<a>[0-9]{1,2})(?P<sep>[-/.])(?P<b>[0-9]{1,2})(?P=sep)(?P<y>(?:19|20)[0-9]{2})"
        rf"(?![0-9]){_TIME_AFTER_DATE}"
    ),
    # Day first with a month name: RFC 2822 "Thu, 19 Nov 2026 10:20:30 +0900", "19-Nov-2026 10:20"
    re.compile(
        rf"{_DOW}(?<![0-9])(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?[ \t-]{{1,3}}{_MON}"
        rf"[ \t-]{{1,3}}(?P<y>(?:19|20)[0-9]{{2}})(?![0-9]){_TIME_AFTER_DATE}"
    ),
    # Month first: syslog "Nov 19 03:14:15", ctime "Thu Nov 19 03:14:15 JST 2026", "November 19, 2026"
    re.compile(
        rf"{_DOW}{_MON}[ \t]{{1,3}}(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?(?![0-9])"
        r"(?:,?[ \t]{1,3}(?P<y>(?:19|20)[0-9]{2})(?![0-9:]))?"
        rf"{_TIME_AFTER_DATE}(?:[ \t](?P<y2>(?:19|20)[0-9]{{2}})(?![0-9]))?"
    ),
    # Snort fast alerts: 11/19-19:20:30.123456 (month/day, no year)
    re.compile(rf"(?<![0-9./:-])(?P<m>[0-9]{{1,2}})/(?P<d>[0-9]{{1,2}})-{_HMS}(?![0-9])"),
    # Japanese: 2026年11月19日(木) 22時05分30秒, 令和8年11月19日 午後3時, 11月19日 22:05
    re.compile(
        # (Chinese 2026年10月21日09时15分 and Korean 2026년 10월 21일 09시 40분 alike)
        r"(?:(?:(?P<y>[0-9]{4})|(?P<era>令和|平成)[ \t]?(?P<ey>[0-9]{1,2}|元))[ \t]?[年년][ \t]?)?"
        r"(?<![0-9])(?P<m>[0-9]{1,2})[ \t]?[月월][ \t]?(?P<d>[0-9]{1,2})[ \t]?[日일]"
        r"(?:[ \t]?[(（][月火水木金土日](?:曜日?)?[)）])?"
        rf"(?:[ \t]{{0,2}}(?:(?:(?P<ap0>午前|午後)[ \t]?)?{_HMS}|{_JHMS}){_ZONE})?"
    ),
    # Time of day alone: 22:05:30, 午後3時20分, 10:20 PM JST
    re.compile(rf"(?<![0-9:.])(?:(?:(?P<ap0>午前|午後)[ \t]?)?{_HMS}|{_JHMS})(?![0-9:]){_ZONE}"),
)
_YEAR_SEP = re.compile(r"(?:19|20)[0-9]{2}[-/.]")
_NUMERIC_DATE = re.compile(r"[0-9][-/.](?:19|20)[0-9]{2}")
# Per pattern above: can it match at all? (text, month name present) -> bool
_PREFILTERS: tuple[Callable[[str, bool], bool], ...] = (
    lambda t, m: m and "/" in t,
    lambda t, m: _YEAR_SEP.search(t) is not None,
    lambda t, m: "T" in t,
    lambda t, m: _NUMERIC_DATE.search(t) is not None,
    lambda t, m: m,
    lambda t, m: m,
    lambda t, m: "/" in t and "-" in t,
    lambda t, m: "月" in t or "월" in t,
    lambda t, m: ":" in t or "時" in t or "时" in t or "시" in t,
)
_HAS_DIGIT = re.compile(r"[0-9]")
# "21:50-22:15": a hyphen between two times of day without seconds (or two with seconds)
# joins a range; it is not the first time's UTC offset (-22:15 is none anyway, and an ISO
# offset follows seconds). Read as "~" (one character for one: spans stay valid).
_HYPHEN_RANGE = re.compile(
    r"(?<![0-9:T])([0-9]{1,2}:[0-9]{2})-(?=[0-9]{1,2}:[0-9]{2}(?![0-9:]))"
    r"|([0-9]:[0-9]{2}:[0-9]{2})-(?=[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?![0-9]))"
)
_MONTH_HINT = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)", re.IGNORECASE)
_EPOCH = re.compile(r"([0-9]{10})(?:\.[0-9]{1,9})?|([0-9]{13})")
_ERA_BASE = {"令和": 2018, "平成": 1988}


@dataclass(frozen=True)
class TimeParts:
    """A date and/or time of day found in text, before zone and year are settled."""

    start: int
    end: int
    original: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int | None = None
    second: int | None = None
    zone: tzinfo | None = None
    day_month: tuple[int, int, str] | None = None  # (a, b, separator) of a numeric a/b/yyyy date

    @property
    def has_date(self) -> bool:
        return self.day is not None

    @property
    def has_time(self) -> bool:
        return self.hour is not None


@dataclass(frozen=True)
class TimeHit:
    """A complete time found in text; ``start``/``end`` index the original text."""

    time: datetime
    start: int
    end: int
    original: str


def _hour(groups: dict[str, str | None]) -> tuple[int | None, int | None, int | None]:
    hour = groups.get("H") or groups.get("JH")
    if hour is None:
        return None, None, None
    h = int(hour)
    minute = groups.get("M") or groups.get("JM")
    second = groups.get("S") or groups.get("JS")
    m = int(minute) if minute else 0
    s = min(int(second), 59) if second else 0
    ampm = groups.get("ap") or groups.get("jap") or groups.get("ap0")
    if ampm in ("p", "P", "午後") and h < 12:
        h += 12
    elif ampm in ("a", "A", "午前") and h == 12:
        h = 0
    if ampm in ("a", "A", "p", "P") and not 1 <= int(hour) <= 12:
        return -1, 0, 0  # "13:00 PM": not a time
    return h, m, s


def _parts(match: re.Match[str], original: str) -> TimeParts | None:
    g = match.groupdict()
    year: int | None = None
    if g.get("y"):
        year = int(g["y"])
    elif g.get("y2"):
        year = int(g["y2"])
    elif g.get("era"):
        ey = g["ey"] or "1"
        year = _ERA_BASE[g["era"]] + (1 if ey == "元" else int(ey))
    month = day = None
    day_month = None
    if g.get("mon"):
        month = _MONTHS.index(g["mon"][:3].lower()) + 1
        day = int(g["d"])
    elif g.get("a"):
        day_month = (int(g["a"]), int(g["b"]), g["sep"])
        day = 0  # settled by _settle_day_month
    elif g.get("m"):
        month, day = int(g["m"]), int(g["d"])
    hour, minute, second = _hour(g)
    if hour == -1:
        return None
    if g.get("JH") and g.get("JM") is None and match.group(0).rstrip().endswith("半"):
        minute = 30
    zone = parse_zone(g["zone"]) if g.get("zone") else None
    if g.get("zone") and zone is None:
        return None
    return TimeParts(
        match.start(),
        match.end(),
        original[match.start() : match.end()],
        year,
        month,
        day,
        hour,
        minute,
        second,
        zone,
        day_month,
    )


def find_time_parts(text: str, *, times_of_day: bool = True) -> list[TimeParts]:
    """Every date, time of day or full timestamp in ``text``, in order, without overlaps.

    ``times_of_day=False`` skips bare times of day (``22:05``), for callers that want
    complete timestamps only.
    """
    # One character to one: spans stay valid.
    norm = fold_width(text)
    if not _HAS_DIGIT.search(norm):
        return []
    if "-" in norm:
        norm = _HYPHEN_RANGE.sub(lambda m: (m.group(1) or m.group(2)) + "~", norm)
    has_month = _MONTH_HINT.search(norm) is not None
    matches: list[re.Match[str]] = []
    count = len(_PATTERNS) if times_of_day else len(_PATTERNS) - 1  # the last one: times of day
    for pattern, needs in zip(_PATTERNS[:count], _PREFILTERS[:count], strict=True):
        if not needs(norm, has_month):
            continue  # a cheap test first: most log lines hold one or two shapes only
        for match in pattern.finditer(norm):
            if match.end() - match.start() >= 4:
                matches.append(match)
    # Leftmost longest first (a stable sort: equal spans keep the patterns' order). A
    # match is read into parts only when no kept one covers it; one that reads as no
    # time (None) leaves the span free for the next.
    matches.sort(key=lambda m: (m.start(), m.start() - m.end()))
    kept: list[TimeParts] = []
    limit = -1
    for match in matches:
        if match.start() >= limit:
            parts = _parts(match, text)
            if parts is not None:
                kept.append(parts)
                limit = parts.end
    return kept


def detect_day_first(text: str) -> bool | None:
    """Whether numeric ``a/b/yyyy`` dates in this text are day first, when some date says so."""
    return day_first_from(find_time_parts(text))


def day_first_from(found: Iterable[TimeParts]) -> bool | None:
    """``detect_day_first`` over parts already found (one pass over a message's lines)."""
    votes: set[bool] = set()
    for parts in found:
        if parts.day_month:
            a, b, _sep = parts.day_month
            if a > 12 >= b:
                votes.add(True)
            elif b > 12 >= a:
                votes.add(False)
    return votes.pop() if len(votes) == 1 else None


def _settle_day_month(a: int, b: int, sep: str, day_first: bool | None) -> tuple[int, int] | None:
    """(month, day) of a numeric date, or None when the order cannot be known."""
    if a > 12 >= b or a == b:
        return b, a
    if b > 12 >= a:
        return a, b
    if sep == ".":  # 03.04.2026: dotted numeric dates are day first wherever they are written
        return b, a
    if day_first is None:
        return None
    return (b, a) if day_first else (a, b)


def _zone_for(parts: TimeParts, default_tz: tzinfo | None, reference: datetime | None) -> tzinfo:
    if parts.zone is not None:
        return parts.zone
    if default_tz is not None:
        return default_tz
    if reference is not None and reference.tzinfo is not None:
        return reference.tzinfo
    return UTC


def combine(
    parts: TimeParts,
    *,
    date: TimeParts | None = None,
    default_tz: tzinfo | None = None,
    reference: datetime | None = None,
    day_first: bool | None = None,
) -> datetime | None:
    """Build the UTC instant of ``parts`` (its date may come from ``date``); None if not sane."""
    source = parts if parts.has_date else date
    if source is None or not source.has_date or not parts.has_time:
        if parts.has_date and not parts.has_time and date is None:
            source = parts  # a bare date: midnight
        else:
            return None
    year, month, day = source.year, source.month, source.day
    if source.day_month:
        settled = _settle_day_month(*source.day_month, day_first)
        if settled is None:
            return None
        month, day = settled
    if month is None or day is None:
        return None
    zone = _zone_for(parts if parts.zone or not source.zone else source, default_tz, reference)
    hms = (parts.hour or 0, parts.minute or 0, parts.second or 0) if parts.has_time else (0, 0, 0)
    limit = (reference or datetime.now(UTC)) + FUTURE_SLACK
    try:
        if year is None:
            ref = reference or datetime.now(UTC)
            local_year = ref.astimezone(zone).year
            value = datetime(local_year, month, day, *hms, tzinfo=zone)
            if value > ref + timedelta(days=1):
                value = datetime(local_year - 1, month, day, *hms, tzinfo=zone)
        else:
            value = datetime(year, month, day, *hms, tzinfo=zone)
    except ValueError:  # Feb 30, 25:00, 10:61
        return None
    if not EARLIEST.year - 1 <= value.year <= limit.year + 1:
        return None  # 0001年 or 9999年: also keeps astimezone() from overflowing
    value = value.astimezone(UTC).replace(microsecond=0)
    if value < EARLIEST or value > limit:
        return None
    return value


# What joins the two ends of a range: "21:50〜22:15", "04:00 to 04:20", "21時50分から22時15分
# (まで)", "10:00 - 10:20", "between 04:00 and 04:20". Only spaces and tabs around it: the
# ends are on one line.
_RANGE_JOIN = re.compile(
    r"[ \t]{0,3}(?:[〜~～\-–—－]|から|to|until|till|through|thru|bis)[ \t]{0,3}", re.IGNORECASE
)
_BETWEEN = re.compile(r"\bbetween[ \t]{1,3}$", re.IGNORECASE)
_AND = re.compile(r"[ \t]{1,3}and[ \t]{1,3}", re.IGNORECASE)
# A longer span is a reporting period, not the time something was observed.
MAX_RANGE = timedelta(days=31)


def range_ends(text: str, found: list[TimeParts]) -> dict[int, int]:
    """Index of a range's start in ``found`` -> index of its end (parts of one line).

    Both ends need a time of day (a range of dates, "2026-11-01 to 2026-11-30", is a
    reporting period, not a time); an end with a date needs a start with one.
    """
    ends: dict[int, int] = {}
    norm = fold_width(text)
    for i in range(len(found) - 1):
        start, end = found[i], found[i + 1]
        if i in ends.values() or not (start.has_time and end.has_time):
            continue
        if end.has_date and not start.has_date:
            continue
        between = norm[start.end : end.start]
        if _RANGE_JOIN.fullmatch(between) or (
            _AND.fullmatch(between) and _BETWEEN.search(norm[max(0, start.start - 12) : start.start])
        ):
            ends[i] = i + 1
    return ends


def combine_range(
    start: TimeParts,
    end: TimeParts,
    *,
    date: TimeParts | None = None,
    default_tz: tzinfo | None = None,
    reference: datetime | None = None,
    day_first: bool | None = None,
) -> tuple[datetime | None, datetime | None]:
    """The UTC instants of both ends of a range; the end is None when it is not sane.

    A zone written on one end holds for both ("21:50〜22:15 JST"); an end without a date
    takes the start's (or ``date``), and one earlier than the start is on the next day
    ("23:50〜00:20").
    """
    if start.zone is None and end.zone is not None:
        start = replace(start, zone=end.zone)
    elif end.zone is None and start.zone is not None:
        end = replace(end, zone=start.zone)

    def at(parts: TimeParts, on: TimeParts | None) -> datetime | None:
        return combine(parts, date=on, default_tz=default_tz, reference=reference, day_first=day_first)

    first = at(start, None if start.has_date else date)
    if first is None:
        return None, None
    last = at(end, None if end.has_date else (start if start.has_date else date))
    if last is not None and last < first and not end.has_date:
        last += timedelta(days=1)
    if last is None or last < first or last - first > MAX_RANGE:
        return first, None
    return first, last


def find_times(
    text: str,
    *,
    default_tz: tzinfo | None = None,
    reference: datetime | None = None,
    day_first: bool | None = None,
) -> list[TimeHit]:
    """All complete times (a date and a time of day) in ``text``, as UTC instants."""
    all_parts = find_time_parts(text, times_of_day=False)
    if day_first is None and any(p.day_month for p in all_parts):
        day_first = detect_day_first(text)
    hits: list[TimeHit] = []
    for parts in all_parts:
        if not (parts.has_date and parts.has_time):
            continue
        value = combine(parts, default_tz=default_tz, reference=reference, day_first=day_first)
        if value is not None:
            hits.append(TimeHit(value, parts.start, parts.end, parts.original))
    return hits


def _epoch(text: str, reference: datetime | None) -> datetime | None:
    match = _EPOCH.fullmatch(text)
    if not match:
        return None
    seconds = int(match.group(1)) if match.group(1) else int(match.group(2)) // 1000
    value = datetime.fromtimestamp(seconds, UTC)
    if value < EARLIEST or value > (reference or datetime.now(UTC)) + FUTURE_SLACK:
        return None
    return value


_FILLER = re.compile(
    r"[\s,.;:()（）\[\]\"'<>]|頃|ごろ|時点|現在|位|くらい|ぐらい|about|approx\.?|around|at|on"
)


def parse_time(
    value: str,
    *,
    default_tz: tzinfo | None = None,
    reference: datetime | None = None,
    day_first: bool | None = None,
) -> datetime | None:
    """One value (a feed column, a header) -> aware UTC datetime at second precision, or None."""
    text = fold_width(value.strip()).strip()
    if not text or len(text) > 200:
        return None
    epoch = _epoch(text, reference)
    if epoch is not None:
        return epoch
    all_parts = find_time_parts(text)
    dated = [p for p in all_parts if p.has_date]
    if len(dated) != 1:
        return None
    parts = dated[0]
    rest = text[: parts.start] + " " + text[parts.end :]
    if re.search(r"[0-9]", rest) or _FILLER.sub("", rest).strip():
        return None  # something else in the value: not one time
    return combine(parts, default_tz=default_tz, reference=reference, day_first=day_first)
