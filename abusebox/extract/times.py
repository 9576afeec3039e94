"""Find and parse times as reports write them, returning aware UTC datetimes (second precision).

One set of patterns (timeparts.py) serves both ``parse_time`` (a feed column) and
``find_times`` (log lines and prose). A match yields *parts* (date and/or time of day,
maybe a zone); a value without a zone takes ``default_tz``, else the reference's (Date
header's) offset, else UTC. Years missing from syslog lines are the ones that put the
time at or before the reference. Day/month order is never guessed: ``03/04/2026`` needs
``day_first`` (or other unambiguous dates in the same text, see ``detect_day_first``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo

from abusebox.extract.timeparts import TimeParts, detect_day_first, find_time_parts
from abusebox.extract.zones import stated_zone
from abusebox.parsing.text import fold_width

__all__ = [
    "TimeHit",
    "combine",
    "combine_range",
    "find_times",
    "parse_time",
    "range_ends",
    "stated_zone",
]

EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)

_EPOCH = re.compile(r"([0-9]{10})(?:\.[0-9]{1,9})?|([0-9]{13})")


@dataclass(frozen=True)
class TimeHit:
    """A complete time found in text; ``start``/``end`` index the original text."""

    time: datetime
    start: int
    end: int
    original: str


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
