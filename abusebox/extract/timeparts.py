"""Where times stand in text: every date, time of day or timestamp, as parts not yet settled.

The patterns for the shapes reports write (CLF, ISO 8601, RFC 2822, syslog, Snort,
numeric, Japanese and era dates, times of day) and their cheap prefilters live here,
apart from times.py, which settles the parts into UTC instants (zone, missing year,
day/month order, ranges): freeform.py and linetimes.py read the parts of every line
first and decide only then which date a bare time of day belongs to. Day/month order is
not settled here either: ``detect_day_first`` only reports what unambiguous dates say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import tzinfo

from abusebox.extract.zones import ABBREVIATION_PATTERN, ZONE_PATTERN, parse_zone
from abusebox.parsing.text import fold_width

__all__ = ["TimeParts", "day_first_from", "detect_day_first", "find_time_parts"]

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
# Where the costly patterns can start. Scanning a whole line with one of them tries it at
# every character; but each of these starts a bounded distance before a mark it cannot do
# without, so it is tried only there (``_anchored``). Per pattern index: which mark, at most
# how far before it a match starts, and the characters a match can start with.
#   0 CLF "19/Nov": the day (2 digits) and "/" before the month name.
#   4 "Thu, 19th - Nov": a weekday (at most 14 characters: "Wednesday., " and 3 blanks),
#     the day with its suffix and up to 3 separators (7) before the month name.
#   5 "Thu Nov 19": the weekday before the month name.
#   8 a time of day: 午前/午後, a blank and the hour (5) before its ":", or the same and a
#     blank (6) before 時/时/시 (the hour of "午後 3 時" may start with the blank).
_DIGITS = "0123456789"
_WEEKDAY_LETTERS = "MTWFS"
_CLOCK_MARK = re.compile("[:時时시]")
_ANCHORS: dict[int, tuple[bool, int, frozenset[str]]] = {
    0: (True, 3, frozenset(_DIGITS)),
    4: (True, 21, frozenset(_WEEKDAY_LETTERS + _DIGITS)),
    5: (True, 14, frozenset(_WEEKDAY_LETTERS + "JFMASOND")),
    8: (False, 6, frozenset(_DIGITS + "午 \t")),
}
# "21:50-22:15": a hyphen between two times of day without seconds (or two with seconds)
# joins a range; it is not the first time's UTC offset (-22:15 is none anyway, and an ISO
# offset follows seconds). Read as "~" (one character for one: spans stay valid).
_HYPHEN_RANGE = re.compile(
    r"(?<![0-9:T])([0-9]{1,2}:[0-9]{2})-(?=[0-9]{1,2}:[0-9]{2}(?![0-9:]))"
    r"|([0-9]:[0-9]{2}:[0-9]{2})-(?=[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?![0-9]))"
)
# Is a month name written anywhere? The patterns that need one (CLF, day first, month
# first) are tried only then. The name alone is searched as cheaply as a letter-class
# hint would be (its first letters are a set the engine skips to), and unlike such a
# hint it does not let "for" or "our" run two patterns over every English line.
_MONTH_NAME = re.compile(_MON)
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
    months = [m.start() for m in _MONTH_NAME.finditer(norm)]
    has_month = bool(months)
    matches: list[re.Match[str]] = []
    count = len(_PATTERNS) if times_of_day else len(_PATTERNS) - 1  # the last one: times of day
    for index, (pattern, needs) in enumerate(zip(_PATTERNS[:count], _PREFILTERS[:count], strict=True)):
        if not needs(norm, has_month):
            continue  # a cheap test first: most log lines hold one or two shapes only
        anchor = _ANCHORS.get(index)
        if anchor is None:
            found: Iterable[re.Match[str]] = pattern.finditer(norm)
        else:
            by_month, back, starts = anchor
            marks = months if by_month else [m.start() for m in _CLOCK_MARK.finditer(norm)]
            found = _anchored(pattern, norm, marks, back, starts)
        for match in found:
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


def _anchored(
    pattern: re.Pattern[str], text: str, marks: list[int], back: int, starts: frozenset[str]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, for a pattern each match of which starts at most ``back``
    characters before a mark (``marks``: every mark's position, in order), with one of
    ``starts``.

    finditer yields the match at the leftmost position where the pattern matches, then goes
    on from its end. A match's first mark is at most ``back`` after its start, so trying the
    positions up to ``back`` before each mark, in order, meets that same leftmost position
    first, and ``pattern.match`` there gives the same match (its look-behinds still see the
    text before the position).
    """
    tried = 0  # positions before this are tried already, or inside the last match
    for mark in marks:
        for position in range(max(tried, mark - back), min(mark + 1, len(text))):
            if text[position] in starts:
                match = pattern.match(text, position)
                if match is not None:
                    yield match
                    tried = match.end()
                    break
        else:
            tried = max(tried, mark + 1)


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
