"""The time of each evidence line: on the line, with an earlier date, or from its paragraph.

A time on the line wins; else a time of day on the line with the last date stated
before it in the same part (or with the day the message was written, when the line
says 本日/today or 昨日/yesterday); else the one time, or the start of the short window,
stated in the same paragraph; else in the part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from abusebox.extract.lines import EvidenceLine
from abusebox.extract.times import TimeParts, combine

# A paragraph or part that states a few times close together ("First seen ... Last
# seen ...", "Listed since ... Last detection ...") describes one incident window: its
# start is the time of an address stated without one. More, or farther apart, is a log
# of other events, and no time is better than a wrong one.
MAX_WINDOW_TIMES = 3
MAX_WINDOW = timedelta(hours=24)

# Words that date a bare time of day relative to when the message was written.
_TODAY = re.compile(
    r"本日|今日|今朝|今夜|今晩|\b(?:today|this (?:morning|afternoon|evening)|tonight)\b", re.IGNORECASE
)
_YESTERDAY = re.compile(r"昨日|昨晩|昨夜|\b(?:yesterday|last night)\b", re.IGNORECASE)


_WRAP_TAIL = re.compile(r"\s{0,3}(?:at|um|à|,)?\s{0,3}$", re.IGNORECASE)


@dataclass(frozen=True)
class TimeContext:
    reference: datetime | None  # the Date header
    zone: tzinfo | None  # the zone the report states
    day_first: bool | None


def _single(pools: dict[int, set[tuple[datetime, str]]]) -> dict[int, tuple[datetime, str]]:
    """Per paragraph (or part): the one time it states, or the start of its short window."""
    chosen: dict[int, tuple[datetime, str]] = {}
    for key, pool in pools.items():
        values = {value for value, _o in pool}
        if len(values) <= MAX_WINDOW_TIMES and max(values) - min(values) <= MAX_WINDOW:
            chosen[key] = min(pool)
    return chosen


def relative_day(line: str, ctx: TimeContext) -> TimeParts | None:
    """The date "本日"/"today" (or "昨日"/"yesterday") means, seen from the Date header."""
    if ctx.reference is None:
        return None
    shift = 0
    word = _TODAY.search(line)
    if word is None:
        shift, word = 1, _YESTERDAY.search(line)
    if word is None:
        return None
    zone = ctx.zone or ctx.reference.tzinfo
    day = (ctx.reference.astimezone(zone) - timedelta(days=shift)).date()
    return TimeParts(word.start(), word.end(), word.group(0), day.year, day.month, day.day)


class LineTimes:
    """Times per line, with the date, relative-day, paragraph and part fallbacks."""

    def __init__(self, lines: list[EvidenceLine], parts: list[list[TimeParts]], ctx: TimeContext) -> None:
        self.ctx = ctx
        self.parts = parts
        self.dates: list[TimeParts | None] = []
        by_paragraph: dict[int, set[tuple[datetime, str]]] = {}
        by_part: dict[int, set[tuple[datetime, str]]] = {}
        last: TimeParts | None = None
        last_part = -1
        tail: tuple[int, TimeParts] | None = None  # (paragraph, date) ending the previous line
        for line, found in zip(lines, self.parts, strict=True):
            if line.part != last_part:
                last = None  # a date stated in another part does not carry over
            own_date = next((p for p in found if p.has_date and not p.has_time), None)
            relative = (
                relative_day(line.text, ctx) if any(p.has_time and not p.has_date for p in found) else None
            )
            # Wrapped prose: "on 2026-03-18 at" / "14:22:10 CET": the date ends the line above.
            if own_date is None and relative is None and tail is not None and tail[0] == line.paragraph:
                first = found[0] if found else None
                if first is not None and first.has_time and not first.has_date and first.start <= 2:
                    relative = tail[1]
            ends = found[-1] if found else None
            tail = None
            if (
                ends is not None
                and ends.has_date
                and not ends.has_time
                and _WRAP_TAIL.match(line.text[ends.end :])
            ):
                tail = (line.paragraph, ends)
            self.dates.append(own_date or relative or last)
            for hit in found:
                if hit.has_date:
                    last, last_part = hit, line.part
                date = None if hit.has_date else (own_date or relative)
                if hit.has_time and (hit.has_date or date is not None):
                    value = self._combine(hit, date)
                    if value is not None:
                        text = hit.original if date is None else f"{date.original} {hit.original}"
                        by_paragraph.setdefault(line.paragraph, set()).add((value, text))
                        by_part.setdefault(line.part, set()).add((value, text))
        self.paragraph_time = _single(by_paragraph)
        self.part_time = _single(by_part)

    def _combine(self, parts: TimeParts, date: TimeParts | None = None) -> datetime | None:
        ctx = self.ctx
        return combine(
            parts, date=date, default_tz=ctx.zone, reference=ctx.reference, day_first=ctx.day_first
        )

    def for_line(self, index: int, line: EvidenceLine) -> tuple[datetime | None, str | None, bool]:
        """(time, its text, whether the line itself states it) for one line."""
        found = self.parts[index]
        for parts in found:
            if parts.has_date and parts.has_time:
                value = self._combine(parts)
                if value is not None:
                    return value, parts.original, True
        date = self.dates[index]
        if date is not None:
            for parts in found:
                if parts.has_time and not parts.has_date:
                    value = self._combine(parts, date)
                    if value is not None:
                        return value, f"{date.original} {parts.original}", True
        for single in (self.paragraph_time.get(line.paragraph), self.part_time.get(line.part)):
            if single is not None:
                return single[0], single[1], False
        return None, None, False
