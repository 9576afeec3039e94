"""Header-less line feeds attached to mails: address lists and pipe-separated feeds.

- one address or network per line, optionally ``; comment`` (blocklist.de lists,
  Spamhaus DROP/EDROP);
- pipe-separated rows (Team Cymru CAP, dataplane.org), where the address is the first
  field that is an address and the time the first ISO-like field after it. dataplane's
  AS names may themselves contain ``|``, so fields are found by content, not position.

Times are UTC (these feeds state UTC); a list without per-line times takes the
``Last-Modified``/``Data file written at`` comment time if there is one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from abusebox.core.models import Extraction, Observation, ParsedMessage
from abusebox.core.reasons import Reason
from abusebox.extract.formats import register
from abusebox.extract.formats.columns import FEED_WORDS, category_of_value, sender_category
from abusebox.extract.formats.context import DataFile, FormatContext
from abusebox.extract.formats.values import evidence, field_ip, field_time

_ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?")
_LIST_TIME = re.compile(
    r"^[#;]\s*(?:Last-Modified|Generated|Data file written at|Updated)\s*:?\s*(.+)$", re.I | re.M
)
_DESTADDR = re.compile(r"\bdestaddr\s+(\S+)")
_WORD = re.compile(r"[a-z0-9]+")
_MIN_SHARE = 0.8  # share of data lines that must parse for a file to count as a feed


def _data_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith(("#", ";"))]


def _file_category(data: DataFile, parsed: ParsedMessage) -> str | None:
    stem = data.lower_name.rsplit(".", 1)[0]
    for word in _WORD.findall(stem):
        if word in FEED_WORDS:
            return FEED_WORDS[word]
    return sender_category(parsed.from_addr)


def _header_time(text: str) -> datetime | None:
    match = _LIST_TIME.search(text[:4000])
    return field_time(match.group(1).strip(), UTC) if match else None


def read_list(data: DataFile, lines: list[str], parsed: ParsedMessage, out: Extraction, limit: int) -> bool:
    """One address/network per line. False when the lines are not such a list."""
    parsed_lines: list[tuple[str, str]] = []
    for line in lines[:limit]:
        first = line.split(";", 1)[0].split("#", 1)[0].split()
        ip = field_ip(first[0]) if len(first) == 1 else None
        if ip is not None:
            parsed_lines.append((ip, line))
    if not parsed_lines or len(parsed_lines) < _MIN_SHARE * min(len(lines), limit):
        return False
    when = _header_time(data.text)
    category = _file_category(data, parsed)
    reason = f"address list {data.name}"
    for ip, line in parsed_lines:
        out.observations.append(Observation(ip, when, category, None, evidence(line), reason=reason))
    return True


def read_pipes(data: DataFile, lines: list[str], parsed: ParsedMessage, out: Extraction, limit: int) -> bool:
    """Pipe-separated rows. False when most lines have no ``|`` or no address field."""
    rows: list[Observation] = []
    default = _file_category(data, parsed)
    reason = f"pipe-separated feed {data.name}"
    targets = dict.fromkeys(out.targets)
    for line in lines[:limit]:
        fields = [f.strip() for f in line.split("|")]
        if len(fields) < 3:
            continue
        ip_at = next((i for i, f in enumerate(fields) if field_ip(f) is not None), None)
        if ip_at is None:
            continue
        stamp = next((f for f in fields[ip_at + 1 :] if _ISO_START.match(f)), None)
        category = category_of_value(fields[0]) if fields[0].lower().replace(" ", "") in FEED_WORDS else None
        category = category or category_of_value(fields[-1]) or default
        for dest in _DESTADDR.findall(line):
            target = field_ip(dest)
            if target is not None:
                targets[target] = None
        rows.append(
            Observation(
                str(field_ip(fields[ip_at])),
                field_time(stamp, UTC),
                category,
                None,
                evidence(line),
                time_original=stamp,
                reason=reason,
            )
        )
    if not rows or len(rows) < _MIN_SHARE * min(len(lines), limit):
        return False
    out.observations.extend(rows)
    out.targets = list(targets)
    return True


@register(order=100)
class FeedParser:
    name = "feed"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        extraction = Extraction(format=self.name)
        limit = ctx.limits.max_table_rows
        matched = False
        for data in ctx.files(parsed):
            lines = _data_lines(data.text)
            if not lines:
                continue
            if len(lines) > limit:
                extraction.reasons.append(
                    Reason(
                        "extract",
                        self.name,
                        None,
                        f"feed {data.name}: more than {limit} lines; rest skipped (max_table_rows)",
                    )
                )
            reader = (
                read_pipes if sum("|" in ln for ln in lines[:50]) * 2 > min(len(lines), 50) else read_list
            )
            if reader(data, lines, parsed, extraction, limit):
                matched = True
        if not matched:
            return None
        cats = {o.category for o in extraction.observations if o.category}
        extraction.category = cats.pop() if len(cats) == 1 else None
        return extraction
