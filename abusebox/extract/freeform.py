"""The free-text extractor: reports people write and plain log excerpts.

For each evidence line (see lines.py) every address is given a role (roles.py), a
time, a category and the attacked port. Observations hold one entry per (ip, time)
for sources and one per address for targets; targets are also listed in
``Extraction.targets``. Times: a time on the line; else a time of day on the line with
the last date stated before it; else the one time (or the start of the short window)
stated in the same paragraph; else in the part. Zone: on the value, else the zone the report states,
else the Date header's offset.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from abusebox.core.models import Extraction, Observation, ParsedMessage
from abusebox.core.reasons import Reason
from abusebox.extract.categories import category_from_text, line_category, line_shape
from abusebox.extract.ips import IpHit, find_ips
from abusebox.extract.lines import MAX_LINES, EvidenceLine, evidence_lines, evidence_parts
from abusebox.extract.linetimes import LineTimes, TimeContext
from abusebox.extract.ports import (
    SERVER_CATEGORIES,
    exposed_service,
    port_field,
    record_port,
    report_service,
    service_port,
)
from abusebox.extract.rolepass import heading_label, inherit_listed, settle_roles, wrapped_label
from abusebox.extract.roles import RoleGuess, guess_role
from abusebox.extract.tablecols import Header, is_separator, read_header
from abusebox.extract.timeparts import day_first_from, find_time_parts
from abusebox.extract.times import combine, stated_zone
from abusebox.parsing.language import language_of

MAX_EVIDENCE = 500

_DPT = re.compile(r"\bDPT=\d")


@dataclass
class _Context:
    reference: datetime | None
    zone: tzinfo | None
    day_first: bool | None
    category: str | None


class _LineCategories:
    """line_category with a cache keyed on the line's shape (line_shape): log lines repeat."""

    _MAX = 10_000

    def __init__(self) -> None:
        self._cache: dict[str, str | None] = {}

    def of(self, line: str) -> str | None:
        key = line_shape(line)
        if key not in self._cache:
            if len(self._cache) >= self._MAX:
                self._cache.clear()
            self._cache[key] = line_category(line)
        return self._cache[key]


def _label(lines: list[EvidenceLine], index: int, hits: list[IpHit], with_addresses: set[int]) -> str | None:
    """A heading above an address-only line, else the cue a wrapped line above ends with."""
    return heading_label(lines, index, hits, with_addresses) or wrapped_label(lines, index, hits)


def _report_category(parsed: ParsedMessage, text: str) -> str | None:
    category = category_from_text(text, subject=parsed.subject)
    if category in (None, "intrusion-attempt") and len(_DPT.findall(text)) >= 3:
        return "scan"  # firewall logs of many connection attempts: a scan
    return category


def extract_freeform(parsed: ParsedMessage) -> Extraction:
    parts = evidence_parts(parsed)
    lines = list(evidence_lines(parts))
    text = "\n".join(line.text for line in lines)
    line_parts = [find_time_parts(line.text) for line in lines]
    reference = parsed.date
    ctx = _Context(
        reference=reference,
        zone=stated_zone(parsed.subject + "\n" + text),
        day_first=day_first_from(p for found in line_parts for p in found),
        category=_report_category(parsed, text),
    )
    extraction = Extraction(
        format="freeform", category=ctx.category, language=language_of(parsed.subject, text)
    )
    if len(lines) >= MAX_LINES:
        extraction.reasons.append(
            Reason("extract", "freeform", None, f"read only the first {MAX_LINES} lines")
        )
    if ctx.zone is not None:
        extraction.reasons.append(
            Reason(
                "extract", "freeform", None, f"times without a zone read in {ctx.zone}, as the report states"
            )
        )
    elif reference is not None:
        extraction.reasons.append(
            Reason(
                "extract",
                "freeform",
                None,
                f"times without a zone read in the Date header's offset ({reference:%z})",
            )
        )
    all_hits = [(i, line, find_ips(line.text)) for i, line in enumerate(lines)]
    headers = _table_headers(all_hits)
    with_hits = [(i, line, hits) for i, line, hits in all_hits if hits]
    if not with_hits:
        return _subject_sources(parsed, ctx, extraction)
    times = LineTimes(lines, line_parts, TimeContext(ctx.reference, ctx.zone, ctx.day_first))
    # Prose lines without addresses, per paragraph: they may name the attacked service.
    with_addresses = {i for i, _line, _hits in with_hits}
    paragraphs: dict[int, str] = {}
    for i, line in enumerate(lines):
        if i not in with_addresses and len(paragraphs.get(line.paragraph, "")) < 4000:
            paragraphs[line.paragraph] = paragraphs.get(line.paragraph, "") + "\n" + line.text
    guesses = [
        (
            i,
            line,
            hits,
            _roles(
                line.text,
                hits,
                headers.get(i),
                heading_label(lines, i, hits, with_addresses) or wrapped_label(lines, i, hits),
            ),
        )
        for i, line, hits in with_hits
    ]
    guesses = settle_roles(guesses, _subject_source_ips(parsed.subject))
    history = _quoted_history(guesses)
    targets = {
        h.ip
        for _i, _l, hits, roles in guesses
        for h, r in zip(hits, roles, strict=True)
        if r.role == "target" and r.cued
    }
    seen: set[tuple[str, datetime | None, str]] = set()
    # Sources whose time was borrowed from the paragraph: a later line stating that time
    # itself (with its port and log evidence) replaces them.
    borrowed: dict[tuple[str, datetime | None, str], int] = {}
    categories = _LineCategories()
    service = report_service(text) if ctx.category == "brute-force" else None
    if ctx.category == "vulnerable":
        service = exposed_service(text)
    # "宛先 : 203.0.113.5:443" on a line of its own: the one port the targets name.
    target_ports = {
        h.port for _i, _l, hits, roles in guesses for h, r in zip(hits, roles, strict=True)
        if r.role == "target" and r.cued and h.port is not None
    }  # fmt: skip
    if service is None and len(target_ports) == 1:
        service = target_ports.pop()
    paragraph_ports: dict[int, int | None] = {}
    for index, line, hits, roles in guesses:
        at = times.for_line(index, line)
        when, original, own = at.time, at.original, at.own
        category = categories.of(line.text) or ctx.category
        header = headers.get(index)
        port = header.port(line.text) if header is not None else None
        if port is None:
            port = service_port(line.text, hits, roles)
        if port is None and category in SERVER_CATEGORIES:
            port = record_port(line.text, hits, roles)
        if port is None:  # prose: "... から\n弊社サーバに対してSSHの総当たり攻撃" spans lines
            # Once per paragraph, not once per line of it: a paragraph of n lines would
            # otherwise be scanned n times (quadratic in a long paragraph).
            if line.paragraph not in paragraph_ports:
                text = paragraphs.get(line.paragraph, "")
                paragraph_ports[line.paragraph] = service_port(text, [], [], bare=False) or port_field(text)
            port = paragraph_ports[line.paragraph]
        if port is None:
            port = service
        evidence = line.text.strip()[:MAX_EVIDENCE]
        for hit, guess in zip(hits, roles, strict=True):
            if hit.ip in history:
                continue
            if not guess.cued and hit.ip in targets:
                guess = RoleGuess("target", 0.8, "named as a target elsewhere in the report")
            key = (hit.ip, when if guess.role == "source" else None, guess.role)
            replace = borrowed.pop(key, None) if own and when is not None else None
            if key in seen and replace is None:
                continue
            seen.add(key)
            if not own and when is not None and guess.role == "source":
                borrowed[key] = len(extraction.observations)
            confidence = round(guess.confidence * (0.8 if line.quoted else 1.0), 3)
            observation = Observation(
                ip=hit.ip,
                time=when if guess.role == "source" else None,
                category=category,
                port=port if guess.role == "source" else None,
                evidence=evidence,
                role=guess.role,
                time_original=original if guess.role == "source" else None,
                confidence=confidence,
                reason=guess.reason,
                time_end=at.end if guess.role == "source" else None,
            )
            if replace is None:
                extraction.observations.append(observation)
            else:
                extraction.observations[replace] = observation
            if guess.role == "target" and hit.ip not in extraction.targets:
                extraction.targets.append(hit.ip)
    return _subject_sources(parsed, ctx, extraction)


def _quoted_history(guesses: list[tuple[int, EvidenceLine, list[IpHit], list[RoleGuess]]]) -> set[str]:
    """Addresses of the older thread a reply quotes: neither sources nor targets of this report.

    When the new (unquoted) text names a source with a cue of its own ("from A", a source
    column), an address that it never names so, but the quoted text (``> ...``) does, is
    the earlier report being replied to ("you fixed B (see below)"), not a new source. A
    forward with no text of its own, or a reply that names the quoted source anew, keeps it.
    """
    fresh: set[str] = set()
    quoted: set[str] = set()
    for _i, line, hits, roles in guesses:
        for hit, role in zip(hits, roles, strict=True):
            if line.quoted:
                quoted.add(hit.ip)
            elif role.role == "source" and role.cued:
                fresh.add(hit.ip)
    if not fresh:
        return set()
    return quoted - fresh


def _subject_sources(parsed: ParsedMessage, ctx: _Context, extraction: Extraction) -> Extraction:
    """ "Port scan from 203.0.113.5" with "see subject" as the body: when the body names no
    source, the sources the subject names (with the time the subject states, if any)."""
    if any(o.role == "source" for o in extraction.observations):
        return extraction
    subject = parsed.subject[:1000]
    hits = find_ips(subject)
    if not hits:
        return extraction
    found = find_time_parts(subject)
    when = next(
        (
            value
            for p in found
            if p.has_date and p.has_time
            for value in [combine(p, default_tz=ctx.zone, reference=ctx.reference, day_first=ctx.day_first)]
            if value is not None
        ),
        None,
    )
    for hit, guess in zip(hits, _roles(subject, hits), strict=True):
        if guess.role != "source" or hit.ip in extraction.targets:
            continue
        extraction.observations.append(
            Observation(
                ip=hit.ip,
                time=when,
                category=line_category(subject) or ctx.category,
                port=service_port(subject, hits, [guess]) if len(hits) == 1 else None,
                evidence=subject.strip()[:MAX_EVIDENCE],
                role="source",
                confidence=round(guess.confidence * 0.9, 3),
                reason=f"named in the subject ({guess.reason})",
            )
        )
    return extraction


def _table_headers(all_hits: list[tuple[int, EvidenceLine, list[IpHit]]]) -> dict[int, Header]:
    """Line index -> the table header above it, for the rows that follow and fit it.

    Blank lines do not end a table (an HTML table's rows may come out apart); the
    first line that does not fit the header does.
    """
    found: dict[int, Header] = {}
    current: Header | None = None
    for index, line, hits in all_hits:
        if not hits:
            header = read_header(line.text)
            if header is not None:
                current = header
            elif current is not None and not is_separator(line.text):
                current = None
        elif current is not None and current.fits(line.text):
            found[index] = current
        else:
            current = None
    return found


def _subject_source_ips(subject: str) -> set[str]:
    hits = find_ips(subject[:1000])
    return {h.ip for h, g in zip(hits, _roles(subject[:1000], hits), strict=True) if g.role == "source"}


def _roles(
    line: str, hits: list[IpHit], header: Header | None = None, label: str | None = None
) -> list[RoleGuess]:
    """Roles of the addresses on a line; ``label`` is a heading above an address-only line."""
    roles: list[RoleGuess] = []
    columns = header.columns(line, [h.start for h in hits]) if header is not None else [None] * len(hits)
    starts = sorted(h.start for h in hits)
    ends = sorted(h.end for h in hits)
    for hit, column in zip(hits, columns, strict=True):
        if column == "source" or column == "target":
            roles.append(RoleGuess(column, 1.0, f"in the table's {column} column"))
            continue
        # A range yields several hits with one span: neighbours are the hits outside it.
        # Hits come in order without overlaps, so starts and ends are sorted: bisect, not
        # a scan per hit (a row of 1,500 addresses would be quadratic).
        before = bisect.bisect_right(ends, hit.start)
        prev_end = ends[before - 1] if before else 0
        after = bisect.bisect_left(starts, hit.end)
        next_start = starts[after] if after < len(starts) else len(line)
        guess = guess_role(line, hit.start, hit.end, prev_end, next_start)
        if not guess.cued and label is not None:
            shift = len(label) + 2  # read as "heading: address"
            joined = f"{label}: {line}"
            guess = guess_role(joined, hit.start + shift, hit.end + shift, prev_end + shift if before else 0,
                               next_start + shift)  # fmt: skip
        roles.append(guess)
    return inherit_listed(line, hits, roles)
