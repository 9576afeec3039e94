"""The time of each evidence line: on the line, with an earlier date, or from its paragraph.

A time on the line wins; else a time of day on the line with the last date stated
before it in the same part (or with the day the message was written, when the line
says 本日/today or 昨日/yesterday); else the one time, or the start of the short window,
stated in the same paragraph; else in the part. A range ("21:50〜22:15 JST", "from 04:00
to 04:20 UTC") keeps both ends: its start is the time, its end ``time_end``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from abusebox.extract.lines import EvidenceLine
from abusebox.extract.timeparts import TimeParts
from abusebox.extract.times import combine, combine_range, range_ends

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
class LineTime:
    """The time found for one line: ``end`` is a range's end; ``own``: the line states it."""

    time: datetime | None
    end: datetime | None
    original: str | None
    own: bool


_NONE = LineTime(None, None, None, False)
_Entry = tuple[datetime, datetime | None, str]  # (time, range end, text)


@dataclass(frozen=True)
class TimeContext:
    reference: datetime | None  # the Date header
    zone: tzinfo | None  # the zone the report states
    day_first: bool | None


def _single(pools: dict[int, set[_Entry]]) -> dict[int, _Entry]:
    """Per paragraph (or part): the one time (or range) it states, or the start of its short window."""
    chosen: dict[int, _Entry] = {}
    for key, pool in pools.items():
        spans = [(value, end) for value, end, _o in pool if end is not None]
        # A time inside a stated range (a log line of "検知期間: 03:10 - 03:25") is one of
        # that range's events, not another time of the window.
        values = {
            value
            for value, end, _o in pool
            if end is not None or not any(start <= value <= stop for start, stop in spans)
        }
        if len(values) <= MAX_WINDOW_TIMES and max(values) - min(values) <= MAX_WINDOW:
            first = min(pool, key=lambda entry: (entry[0], entry[1] is None, entry[2], entry[1] or entry[0]))
            # The window's start; a range's end only when that one range is all it states.
            chosen[key] = first if len(values) == 1 else (first[0], None, first[2])
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
        self.ranges = [range_ends(line.text, found) for line, found in zip(lines, parts, strict=True)]
        # (line, part) -> (time, range end) of the parts that carry their own date, read once
        # here and again for the line itself: the same instant, so computed once.
        self._dated: dict[tuple[int, int], tuple[datetime | None, datetime | None]] = {}
        by_paragraph: dict[int, set[_Entry]] = {}
        by_part: dict[int, set[_Entry]] = {}
        last: TimeParts | None = None
        last_part = -1
        tail: tuple[int, TimeParts] | None = None  # (paragraph, date) ending the previous line
        for index, (line, found) in enumerate(zip(lines, self.parts, strict=True)):
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
            ranges = self.ranges[len(self.dates) - 1]
            range_end = set(ranges.values())
            for k, hit in enumerate(found):
                if hit.has_date:
                    last, last_part = hit, line.part
                if k in range_end:
                    continue  # the end of a range: stated with its start
                date = None if hit.has_date else (own_date or relative)
                if hit.has_time and (hit.has_date or date is not None):
                    if k in ranges:
                        value, end = self._combine_range(hit, found[ranges[k]], date)
                    else:
                        value, end = self._combine(hit, date), None
                    if date is None:
                        self._dated[index, k] = (value, end)
                    if value is not None:
                        text = hit.original if date is None else f"{date.original} {hit.original}"
                        if end is not None:
                            text = self._range_text(line.text, hit, found[ranges[k]], date)
                        by_paragraph.setdefault(line.paragraph, set()).add((value, end, text))
                        by_part.setdefault(line.part, set()).add((value, end, text))
        self.paragraph_time = _single(by_paragraph)
        self.part_time = _single(by_part)

    def _combine(self, parts: TimeParts, date: TimeParts | None = None) -> datetime | None:
        ctx = self.ctx
        return combine(
            parts, date=date, default_tz=ctx.zone, reference=ctx.reference, day_first=ctx.day_first
        )

    def _combine_range(
        self, start: TimeParts, end: TimeParts, date: TimeParts | None = None
    ) -> tuple[datetime | None, datetime | None]:
        ctx = self.ctx
        return combine_range(
            start, end, date=date, default_tz=ctx.zone, reference=ctx.reference, day_first=ctx.day_first
        )

    @staticmethod
    def _range_text(text: str, start: TimeParts, end: TimeParts, date: TimeParts | None) -> str:
        """The range as written ("21:50〜22:15 JST"), after the date it takes, if any."""
        written = text[start.start : end.end]
        return written if date is None else f"{date.original} {written}"

    def _at(self, index: int, line: EvidenceLine, k: int, date: TimeParts | None) -> LineTime | None:
        found = self.parts[index]
        parts = found[k]
        end_k = self.ranges[index].get(k)
        dated = self._dated.get((index, k)) if date is None else None
        if end_k is None:
            value = dated[0] if dated is not None else self._combine(parts, date)
            if value is None:
                return None
            return LineTime(
                value, None, parts.original if date is None else f"{date.original} {parts.original}", True
            )
        value, end = dated if dated is not None else self._combine_range(parts, found[end_k], date)
        if value is None:
            return None
        if end is None:
            text = parts.original if date is None else f"{date.original} {parts.original}"
        else:
            text = self._range_text(line.text, parts, found[end_k], date)
        return LineTime(value, end, text, True)

    def for_line(self, index: int, line: EvidenceLine) -> LineTime:
        """The time of one line: its own, else its paragraph's or part's."""
        found = self.parts[index]
        ends = set(self.ranges[index].values())
        for k, parts in enumerate(found):
            if parts.has_date and parts.has_time and k not in ends:
                hit = self._at(index, line, k, None)
                if hit is not None:
                    return hit
        date = self.dates[index]
        if date is not None:
            for k, parts in enumerate(found):
                if parts.has_time and not parts.has_date and k not in ends:
                    hit = self._at(index, line, k, date)
                    if hit is not None:
                        return hit
        for single in (self.paragraph_time.get(line.paragraph), self.part_time.get(line.part)):
            if single is not None:
                return LineTime(single[0], single[1], single[2], False)
        return _NONE
