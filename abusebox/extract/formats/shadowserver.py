"""Shadowserver report CSVs (plain, zipped or gzipped attachments).

Columns are mapped by header name, following Shadowserver's published report schema
(report_schema ``intelmq.json``): ``src_ip``/``ip`` is the reported host, ``timestamp``
is UTC, ``dst_port``/``port`` the port, ``dst_ip`` a target. Columns about somebody
else (``cc``, ``cc_ip``, sinkhole and C&C columns) and certificate dates are never read
as sources or times. The report type comes from the file name
(``2019-01-06-scan_afp-sample-ip.csv``, ``event4_honeypot_brute_force.csv``) or subject.
"""

from __future__ import annotations

import re
from datetime import UTC

from abusebox.core.models import Extraction, Observation, ParsedMessage
from abusebox.core.reasons import Reason
from abusebox.extract.formats import register
from abusebox.extract.formats.context import DataFile, FormatContext
from abusebox.extract.formats.tables import Table, cell, open_table, row_text
from abusebox.extract.formats.values import field_ip, field_port, field_time

_FILE_TYPE = re.compile(r"^(?:\d{4}-\d{2}-\d{2}-)?([a-z0-9_]+?)(?:-[^/]*)?\.(?:csv|txt)$")
_SUBJECT_WORDS = re.compile(r"shadowserver", re.I)

# Columns holding the reported host, in order of preference. Never cc/cc_ip/sinkhole.
SOURCE_COLUMNS = ("src_ip", "ip", "source_ip")
TIME_COLUMNS = ("timestamp",)
PORT_COLUMNS = ("dst_port", "port", "src_port")
TARGET_COLUMNS = ("dst_ip",)

# Report type (substring of the name) -> category; first match wins, so specific first.
_CATEGORY_RULES: tuple[tuple[str, str], ...] = (
    ("honeypot_brute_force", "brute-force"),
    ("brute_force", "brute-force"),
    ("ddos_amp", "dos"),
    ("amplification", "dos"),
    ("honeypot_ddos", "dos"),
    ("ddos_participant", "dos"),
    ("ddos", "dos"),
    ("http_scan", "scan"),
    ("honeypot_darknet", "scan"),
    ("ics_scan", "scan"),
    ("scanner", "scan"),
    ("exploit", "intrusion-attempt"),
    ("compromised_website", "intrusion"),
    ("compromised", "intrusion"),
    ("phish", "phishing"),
    ("spam", "spam"),
    ("sinkhole", "malware"),
    ("botnet", "malware"),
    ("drone", "malware"),
    ("malware", "malware"),
    ("infected", "malware"),
    ("cc_", "malware"),
    ("scan_", "vulnerable"),
    ("scan6_", "vulnerable"),
    ("open_", "vulnerable"),
    ("accessible", "vulnerable"),
    ("ssl_", "vulnerable"),
    ("vulnerable", "vulnerable"),
    ("blocklist", "other"),
)
_SUBJECT_TYPES: tuple[tuple[str, str], ...] = (
    ("brute force", "honeypot_brute_force"),
    ("amplification", "ddos_amp"),
    ("ddos", "ddos"),
    ("sinkhole", "sinkhole"),
    ("drone", "drone"),
    ("botnet", "botnet"),
    ("phish", "phish_url"),
    ("blocklist", "blocklist"),
    ("block list", "blocklist"),
    ("accessible", "scan_accessible"),
    ("open ", "scan_open"),
    ("vulnerable", "scan_vulnerable"),
)
_VICTIM_TYPES = ("ddos_amp", "amplification")


def report_type(filename: str, subject: str = "") -> str | None:
    """``scan_afp`` from ``2019-01-06-scan_afp-sample-ip.csv``; else a guess from the subject."""
    match = _FILE_TYPE.match(filename.lower())
    if match and _category_of(match.group(1)) is not None:
        return match.group(1)
    low = subject.lower()
    for words, rtype in _SUBJECT_TYPES:
        if words in low:
            return rtype
    return match.group(1) if match else None


def _category_of(rtype: str) -> str | None:
    for needle, category in _CATEGORY_RULES:
        if needle in rtype:
            return category
    return None


def category_for(rtype: str | None) -> str:
    return (_category_of(rtype) if rtype else None) or "other"


@register(order=70)
class ShadowserverParser:
    name = "shadowserver"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        from_shadowserver = (parsed.from_addr or "").endswith("shadowserver.org") or bool(
            _SUBJECT_WORDS.search(parsed.subject)
        )
        candidates = [f for f in ctx.files(parsed) if _looks_like_report(f, from_shadowserver)]
        if not candidates:
            return None
        extraction = Extraction(format=self.name)
        targets: dict[str, None] = {}
        categories: list[str] = []
        read_any = False
        for data in candidates:
            table = open_table(data.name, data.text, ctx.limits, extraction.reasons, parser=self.name)
            if table is None:
                continue
            if table.index(*SOURCE_COLUMNS) is None or table.index(*TIME_COLUMNS) is None:
                # e.g. the old botnet-ddos report: only C&C and DDoS-target columns,
                # neither of which is a host the recipient is responsible for.
                extraction.reasons.append(
                    Reason(
                        "extract",
                        self.name,
                        None,
                        f"shadowserver {data.name}: no reported-host column, no sources",
                    )
                )
                read_any = True
                continue
            rtype = report_type(data.name, parsed.subject)
            category = category_for(rtype)
            categories.append(category)
            read_any = True
            _read_rows(table, rtype or "unknown", category, extraction.observations, targets)
        if not read_any:
            return None
        extraction.targets = list(targets)
        if categories:
            extraction.category = categories[0] if len(set(categories)) == 1 else _most_common(extraction)
        return extraction


def _looks_like_report(data: DataFile, from_shadowserver: bool) -> bool:
    name = data.lower_name
    if not name.endswith((".csv", ".txt")) and data.content_type not in ("text/csv", "application/csv"):
        return False
    if from_shadowserver:
        return True
    # Another sender relaying a Shadowserver file (national CERTs, AbuseHub): trust the name.
    match = _FILE_TYPE.match(name)
    return bool(
        match and re.match(r"(event[46]_|scan6?_|botnet_|sinkhole|blocklist|phish_url)", match.group(1))
    )


def _read_rows(
    table: Table, rtype: str, category: str, out: list[Observation], targets: dict[str, None]
) -> None:
    src_i = table.index(*SOURCE_COLUMNS)
    time_i = table.index(*TIME_COLUMNS)
    port_i = table.index(*PORT_COLUMNS)
    dst_i = table.index(*TARGET_COLUMNS)
    victim = any(v in rtype for v in _VICTIM_TYPES)
    reason = f"shadowserver {rtype}" + (": the reported host is the DDoS victim" if victim else "")
    delimiter = table.delimiter
    seen: set[tuple[str, object, object]] = set()
    for row in table.rows:
        ip = field_ip(cell(row, src_i))
        if ip is None:
            continue
        stamp = cell(row, time_i)
        when = field_time(stamp, UTC)
        port = field_port(cell(row, port_i))
        key = (ip, when, port)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            Observation(ip, when, category, port, row_text(row, delimiter), "source", stamp, 1.0, reason)
        )
        if dst_i is not None:
            dst = field_ip(cell(row, dst_i))
            if dst is not None:
                targets[dst] = None


def _most_common(extraction: Extraction) -> str | None:
    counts: dict[str, int] = {}
    for obs in extraction.observations:
        if obs.category:
            counts[obs.category] = counts.get(obs.category, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else None
