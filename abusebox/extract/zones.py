"""Time zones as reports write them: on a value (``+0900``, ``JST``, ``UTC+9``) or in prose.

Abbreviations map to fixed offsets (what the writer meant at the moment written);
IANA names (``Asia/Tokyo``) map to zoneinfo, so their daylight saving is right.
Ambiguous abbreviations (CST: China or US Central; IST: India, Ireland or Israel) are
left out on purpose: a wrong zone is worse than the Date header's offset.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from abusebox.parsing.text import ascii_lower, lowered_pattern

# Abbreviation -> offset in minutes east of UTC.
ABBREVIATIONS: dict[str, int] = {
    "UTC": 0,
    "GMT": 0,
    "UT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "CET": 60,
    "CEST": 120,
    "MET": 60,
    "MEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "JST": 540,
    "KST": 540,
    "HKT": 480,
    "SGT": 480,
    "AWST": 480,
    "ACST": 570,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "HST": -600,
    "AKST": -540,
    "AKDT": -480,
    "PST": -480,
    "PDT": -420,
    "MST": -420,
    "MDT": -360,
    "CDT": -300,
    "EST": -300,
    "EDT": -240,
}
UTC_ZONE = UTC

_ABBR_ALT = "|".join(sorted((a for a in ABBREVIATIONS if a != "Z"), key=len, reverse=True))
ABBREVIATION_PATTERN = _ABBR_ALT
# The zone part that may follow a time value (used inside the time patterns).
ZONE_PATTERN = (
    r"Z(?![A-Za-z])"
    r"|[+-][0-9]{2}:?[0-9]{2}(?![0-9])"
    r"|[+-][0-9]{2}(?![0-9:])"
    rf"|[(（]?(?:UTC|GMT)[ \t]?[+-][ \t]?[0-9]{{1,2}}(?::?[0-9]{{2}})?[)）]?"
    rf"|[(（]?(?:{_ABBR_ALT})[)）]?(?![A-Za-z])"
    r"|[(（]?日本(?:標準)?時間?[)）]?"
)
_OFFSET = re.compile(r"([+-])\s?([0-9]{1,2})(?::?([0-9]{2}))?$")
_IANA = r"(?:Africa|America|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/[A-Za-z_]+(?:/[A-Za-z_]+)?"


def fixed_zone(minutes: int, name: str | None = None) -> tzinfo:
    if minutes == 0:
        return UTC_ZONE
    return timezone(timedelta(minutes=minutes), name) if name else timezone(timedelta(minutes=minutes))


@functools.lru_cache(maxsize=1024)
def parse_zone(value: str) -> tzinfo | None:
    """``Z``, ``+09:00``, ``+0900``, ``+09``, ``JST``, ``(JST)``, ``UTC+9``, ``GMT+09:00``, ``日本時間``,
    ``Asia/Tokyo`` -> tzinfo; None when not a zone we know. Cached: a report writes its few
    zones on every line (tzinfo values are immutable)."""
    text = value.strip().strip("()（）").strip()
    if not text:
        return None
    if text.startswith("日本"):
        return fixed_zone(540, "JST")
    if text.startswith(("北京时间", "北京時間")):
        return fixed_zone(480, "CST")
    if text.startswith("한국"):
        return fixed_zone(540, "KST")
    upper = text.upper()
    if upper in ABBREVIATIONS:
        return fixed_zone(ABBREVIATIONS[upper], upper if upper not in ("Z", "UT", "GMT") else None)
    if upper.startswith(("UTC", "GMT")):
        text = text[3:].strip()
    match = _OFFSET.match(text)
    if match:
        sign, hours, minutes = match.groups()
        total = int(hours) * 60 + int(minutes or 0)
        if total > 14 * 60 or int(minutes or 0) >= 60:
            return None
        return fixed_zone(-total if sign == "-" else total)
    if "/" in text and re.fullmatch(_IANA, text):
        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None


_ANY_ZONE = (
    rf"{_IANA}"
    r"|(?:UTC|GMT)\s?[+-]\s?[0-9]{1,2}(?::?[0-9]{2})?"
    r"|[+-][0-9]{2}:?[0-9]{2}(?![0-9])"
    rf"|(?:{_ABBR_ALT})(?![A-Za-z])"
    r"|日本(?:標準)?時間?|北京时间|北京時間|한국\s?(?:표준)?시간?"
)
# Prose that says which zone the times are in.
_CUE = re.compile(
    r"(?:time\s?zone|timezone|\bTZ\b|タイムゾーン|時間帯|時刻(?:は|の表記は)?|時間は|表記は"
    r"|times?\s(?:are|is|were|shown|given|listed|stated|below|above|in)(?:\s(?:are|is|in|as))?"
    r"|all\stimes|timestamps?\s(?:are|is|in)(?:\sin)?"
    r"|(?:zeitstempel|zeitangaben|zeiten|uhrzeiten)\s(?:sind\s)?(?:in|als))"
    rf"[\s:=：は(（]{{0,4}}(?:is\s|in\s|are\s)?[(（]?(?P<zone>{_ANY_ZONE})",
    re.IGNORECASE,
)
# _CUE case-sensitively in the text with its ASCII letters lowered: the same matches, found
# twice as fast, unless the text holds one of the four non-ASCII letters that re.IGNORECASE
# equates with ASCII ones (İ, ı, ſ, the Kelvin sign): then _CUE itself.
_LOWER_CUE = re.compile(lowered_pattern(_CUE.pattern))
_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")


def _cued_zone(text: str) -> str | None:
    """The zone an explicit cue names ("Time zone: PST"), as written; None without one."""
    cue = _CUE.search(text) if _FOLDS_TO_ASCII.search(text) else _LOWER_CUE.search(ascii_lower(text))
    return text[cue.start("zone") : cue.end("zone")] if cue else None


_MENTION = re.compile(
    rf"(?<![A-Za-z0-9+-])(?P<zone>(?:UTC|GMT)\s?[+-]\s?[0-9]{{1,2}}(?::?[0-9]{{2}})?"
    rf"|(?:{_ABBR_ALT})(?![A-Za-z])|日本(?:標準)?時間?|北京时间|北京時間|한국\s?(?:표준)?시간?)"
)


def stated_zone(text: str) -> tzinfo | None:
    """The zone a report states in prose, or None when it states none or several.

    An explicit cue ("Time zone: PST", "All times are in CET", "タイムゾーン: JST",
    "Note: Local timezone is +0900") wins; else the zone named in the text, when one
    offset is named more often than all others together.
    """
    text = text[:200_000]
    cued = _cued_zone(text)
    if cued is not None:
        zone = parse_zone(cued)
        if zone is not None:
            return zone
    counts: Counter[int] = Counter()
    zones: dict[int, tzinfo] = {}
    for m in _MENTION.finditer(text):
        zone = parse_zone(m.group("zone"))
        if zone is None:
            continue
        offset = zone.utcoffset(None)
        if offset is None:
            continue
        key = int(offset.total_seconds())
        counts[key] += 1
        zones.setdefault(key, zone)
    if not counts:
        return None
    (best, n), *rest = counts.most_common()
    if n > sum(c for _k, c in rest):
        return zones[best]
    return None
