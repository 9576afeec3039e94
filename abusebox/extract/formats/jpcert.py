"""JPCERT/CC coordination notices (Japanese, often PGP clear-signed).

They state the facts as labelled lines (``攻撃元 IP アドレス : 192.0.2.45``,
``日時 : 2026年11月19日 22時05分 (JST)``) or as a small table under a header line
(``送信元IPアドレス  日時(JST)  宛先ポート``). Labels say which address is the source
(送信元/攻撃元/発信元/接続元) and which the target (宛先/攻撃先/接続先/送信先); quoted log
excerpts are evidence, not sources. Times without a zone are JST unless the notice
states another zone.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone, tzinfo

from abusebox.core.models import Extraction, Observation, ParsedMessage, TextPart
from abusebox.core.reasons import Reason
from abusebox.extract.categories import category_from_text
from abusebox.extract.formats import register
from abusebox.extract.formats.context import FormatContext
from abusebox.extract.formats.values import evidence, field_port
from abusebox.extract.freeform import extract_freeform
from abusebox.extract.ips import find_ips
from abusebox.extract.times import find_times, parse_time, stated_zone

JST = timezone(timedelta(hours=9), "JST")
_SOURCE = r"(?:攻撃元|送信元|発信元|接続元|通信元|アクセス元|スキャン元|Source)"
_TARGET = r"(?:攻撃先|宛先|送信先|接続先|通信先|被害|Destination|Target)"
_TIME = r"(?:発生日時|観測日時|検知日時|確認日時|日時|時刻|Date|Time)"
_LABEL = re.compile(r"^[\s　・*●■\-]*([^:：\n]{1,40}?)\s*[:：]\s*(.+)$")
_PORT = re.compile(r"(\d{1,5})\s*/\s*(?:tcp|udp)|ポート\D{0,6}(\d{1,5})", re.I)
# "[JPCERT#12345678]", "(JPCERT#12345678)", "[JPCERT/CC] インシデント対応依頼".
_TICKET = re.compile(r"[\[(（]\s?JPCERT#\d+|\[JPCERT/CC\].{0,40}(?:対応依頼|調整依頼|情報提供)", re.I)
_PGP_HEADER = re.compile(r"^-----BEGIN PGP SIGNED MESSAGE-----\n(?:Hash:.*\n)*\n?", re.M)
_PGP_SIGNATURE = re.compile(r"^-----BEGIN PGP SIGNATURE-----.*?-----END PGP SIGNATURE-----\s*$", re.M | re.S)


def is_jpcert(parsed: ParsedMessage) -> bool:
    """From JPCERT/CC, or carrying its ticket tag ([JPCERT#12345678]) in the message itself.

    A message that merely attaches a notice is a forward: forwarded.py reads the notice.
    """
    sender = parsed.from_addr or ""
    if sender.endswith("jpcert.or.jp"):
        return True
    return not parsed.nested and bool(_TICKET.search(parsed.subject))


def strip_clearsign(text: str) -> str:
    """The signed text of an inline clear-signed message (dash-escaping undone)."""
    if "-----BEGIN PGP SIGNED MESSAGE-----" not in text:
        return text
    text = _PGP_SIGNATURE.sub("", _PGP_HEADER.sub("", text))
    return "\n".join(line[2:] if line.startswith("- ") else line for line in text.splitlines())


def _role(label: str) -> str | None:
    if re.search(_SOURCE, label, re.I):
        return "source"
    if re.search(_TARGET, label, re.I):
        return "target"
    if re.search(_TIME, label, re.I):
        return "time"
    if "ポート" in label or label.lower().strip() == "port":
        return "port"
    if re.search(r"IP\s*アドレス|IP\s*address", label, re.I) or label.strip() == "対象":
        return "source"  # a bare "IPアドレス" (or ■対象) in a notice to the owner is the owner's host
    return None


class _Reader:
    def __init__(self, zone: tzinfo, reference: datetime | None, category: str | None) -> None:
        self.zone, self.reference, self.category = zone, reference, category
        self.extraction = Extraction(format="jpcert", category=category, language="ja")
        self.stated: list[tuple[datetime, str]] = []  # every labelled time of the notice

    def time_of(self, value: str) -> datetime | None:
        when = parse_time(value, default_tz=self.zone, reference=self.reference)
        if when is None:
            hits = find_times(value, default_tz=self.zone, reference=self.reference)
            when = hits[0].time if hits else None
        return when

    def add(self, ip: str, when: datetime | None, port: int | None, line: str, stamp: str | None) -> None:
        obs = Observation(
            ip, when, self.category, port, evidence(line), time_original=stamp, reason="JPCERT/CC notice"
        )
        if obs not in self.extraction.observations:
            self.extraction.observations.append(obs)

    def block(self, lines: list[str]) -> None:
        """A paragraph of labelled lines: its sources share its time and port."""
        sources: list[tuple[str, str]] = []
        when: datetime | None = None
        stamp: str | None = None
        port: int | None = None
        for line in lines:
            match = _LABEL.match(line)
            role = _role(match.group(1)) if match else None
            if match is None or role is None:
                continue
            value = match.group(2)
            if role == "source":
                sources.extend((hit.ip, line) for hit in find_ips(value))
            elif role == "target":
                for hit in find_ips(value):
                    if hit.ip not in self.extraction.targets:
                        self.extraction.targets.append(hit.ip)
            elif role == "time" and when is None:
                when, stamp = self.time_of(value), value.strip()
                if when is not None:
                    self.stated.append((when, stamp))
            elif role == "port" and port is None:
                found = re.search(r"\d{1,5}", value)
                port = field_port(found.group()) if found else None
        for ip, line in sources:
            self.add(ip, when, port, line, stamp)

    def settle_times(self) -> None:
        """A ■日時 section apart from the ■対象 one: its one time applies to untimed sources."""
        if len({when for when, _ in self.stated}) != 1:
            return
        when, stamp = self.stated[0]
        self.extraction.observations = [
            replace(o, time=when, time_original=stamp) if o.time is None else o
            for o in self.extraction.observations
        ]

    def table(self, header: str, rows: list[str]) -> None:
        """A header naming the columns, then one event per row (source first unless stated)."""
        src_at = re.search(_SOURCE + r"|IP\s*アドレス", header, re.I)
        dst_at = re.search(_TARGET, header, re.I)
        source_first = dst_at is None or (src_at is not None and src_at.start() < dst_at.start())
        for row in rows:
            ips = find_ips(row)
            if not ips:
                continue
            source, others = (ips[0], ips[1:]) if source_first else (ips[-1], ips[:-1])
            for other in others:
                if other.ip not in self.extraction.targets and other.ip != source.ip:
                    self.extraction.targets.append(other.ip)
            times = find_times(row, default_tz=self.zone, reference=self.reference)
            port_match = _PORT.search(row)
            port = field_port(port_match.group(1) or port_match.group(2)) if port_match else None
            self.add(
                source.ip, times[0].time if times else None, port, row, times[0].original if times else None
            )


def _is_table_header(line: str) -> bool:
    return (
        ":" not in line
        and "：" not in line
        and not find_ips(line)
        and bool(re.search(_SOURCE + r"|IP\s*アドレス", line, re.I))
        and bool(re.search(_TIME + r"|" + _TARGET + r"|ポート", line, re.I))
    )


# A section heading on its own line: "■日時", "【対象】", "[報告元]"; its lines follow.
_SECTION = re.compile(r"^[\s　]*[■□◆●◇【\[]\s*([^:：\]】]{1,20}?)\s*[】\]]?[\s　]*$")


MAX_HEADING = 40  # a heading is short; longer lines are never tried against _SECTION


def _sections_as_labels(text: str) -> list[str]:
    """Lines under a heading with a role read as "heading : line" (■日時 / 令和8年2月10日 ...)."""
    out: list[str] = []
    label: str | None = None
    for line in text.splitlines():
        heading = _SECTION.match(line) if len(line) <= MAX_HEADING else None
        if heading:
            label = heading.group(1) if _role(heading.group(1)) else None
            out.append(line)
        elif not line.strip():
            label = None
            out.append(line)
        elif label is not None and not _LABEL.match(line):
            out.append(f"{label} : {line.strip()}")
        else:
            out.append(line)
    return out


def read_notice(text: str, reader: _Reader) -> None:
    paragraphs: list[list[str]] = [[]]
    for line in _sections_as_labels(text):
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    for para in paragraphs:
        header_at = next((i for i, ln in enumerate(para) if _is_table_header(ln)), None)
        if header_at is not None:
            reader.block(para[:header_at])
            reader.table(para[header_at], para[header_at + 1 :])
        else:
            reader.block(para)
    reader.settle_times()


@register(order=60)
class JpcertParser:
    name = "jpcert"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        if not is_jpcert(parsed):
            return None
        text = strip_clearsign("\n".join(p.text for p in parsed.text_parts if p.origin == "body"))
        zone = stated_zone(text) or JST
        category = category_from_text(text, subject=parsed.subject)
        reader = _Reader(zone, parsed.date, category)
        read_notice(text, reader)
        extraction = reader.extraction
        if not extraction.observations:
            # No labelled facts: the free-text extractor on the unsigned text still applies.
            clean = replace(parsed, text_parts=[TextPart(text, "text/plain", None, "body", "utf-8")])
            fallback = extract_freeform(clean)
            extraction.observations = fallback.observations
            extraction.targets = fallback.targets or extraction.targets
            extraction.reasons.append(
                Reason(
                    "extract",
                    self.name,
                    None,
                    "JPCERT/CC notice without labelled addresses: free-text extraction",
                )
            )
        if not extraction.observations and not extraction.targets:
            return extraction
        extraction.targets = [
            t for t in extraction.targets if t not in {o.ip for o in extraction.observations}
        ]
        return extraction
