"""X-ARF reports: 0.2 (``report.txt``/``application/x-arf`` part of ``Key: value`` lines,
sent by blocklist.de and fail2ban scripts) and XARF JSON v3 (abusix) / v4 attachments.

The 0.2 part is read strictly line by line (fields.py), never with a YAML loader.
Source is ``Source`` (0.2), ``Report.SourceIp`` (v3) or ``source_identifier`` (v4);
a destination goes to targets.
"""

from __future__ import annotations

import json
import re
from datetime import UTC
from typing import Any

from abusebox.core.models import Extraction, Observation, ParsedMessage, TextPart
from abusebox.core.reasons import Reason
from abusebox.extract.categories import category_from_text
from abusebox.extract.formats import register
from abusebox.extract.formats.context import FormatContext
from abusebox.extract.formats.fallback import body_observations
from abusebox.extract.formats.fields import first, key_values
from abusebox.extract.formats.values import evidence, field_ip, field_port, field_time

_WORD_CATEGORIES: dict[str, str] = {
    "login_attack": "brute-force",
    "loginattack": "brute-force",
    "login": "brute-force",
    "bruteforce": "brute-force",
    "brute_force": "brute-force",
    "ssh": "brute-force",
    "ftp": "brute-force",
    "imap": "brute-force",
    "pop3": "brute-force",
    "sasl": "brute-force",
    "auth": "brute-force",
    "sshd": "brute-force",
    "dovecot": "brute-force",
    "wordpress": "brute-force",
    "xmlrpc": "brute-force",
    "htpasswd": "brute-force",
    "botsearch": "scan",
    "sip": "brute-force",
    "asterisk": "brute-force",
    "portscan": "scan",
    "port_scan": "scan",
    "scan": "scan",
    "ddos": "dos",
    "dos": "dos",
    "apacheddos": "dos",
    "phishing": "phishing",
    "fraud": "phishing",
    "malware": "malware",
    "botnet": "malware",
    "spam": "spam",
    "mail": "spam",
    "postfix": "spam",
    "regbot": "spam",
    "badbot": "spam",
    "bots": "spam",
    "apache": "intrusion-attempt",
    "exploit": "intrusion-attempt",
    "vulnerability": "vulnerable",
    "info": "other",
}
_SPLIT = re.compile(r"[\s/-]+")


def xarf_category(*values: str | None) -> str | None:
    """Category from Report-Type/type first, then Category (most specific wins)."""
    for value in values:
        if not value:
            continue
        low = value.strip().lower()
        if low in _WORD_CATEGORIES:
            return _WORD_CATEGORIES[low]
        # In a compound name the last known word is the qualifier: fail2ban's postfix-sasl
        # guards SMTP AUTH (brute-force, not spam), apache-wp-login a login page.
        words = [w for w in _SPLIT.split(low) if w in _WORD_CATEGORIES]
        if words:
            return _WORD_CATEGORIES[words[-1]]
        found = category_from_text(value)
        if found:
            return found
    return None


def report_part(parsed: ParsedMessage) -> TextPart | None:
    """The X-ARF 0.2 report part: ``report.txt`` or ``application/x-arf`` with a Source field."""
    for part in parsed.text_parts:
        name = (part.filename or "").lower()
        if name == "report.txt" or part.content_type in ("application/x-arf", "text/x-arf"):
            pairs = key_values(part.text)
            if first(pairs, "source") and (first(pairs, "report-type", "version", "category")):
                return part
    return None


def parse_v02(part: TextPart, extraction: Extraction) -> str | None:
    """Append the 0.2 report's source; return its category."""
    pairs = key_values(part.text)
    category = xarf_category(first(pairs, "report-type", "service"), first(pairs, "category"))
    source = first(pairs, "source")
    stamp = first(pairs, "date")
    ip = field_ip(source)
    if ip is None:
        extraction.reasons.append(
            Reason("extract", "xarf", None, f"X-ARF report: Source {source!r} is not an address")
        )
        return category
    when = field_time(stamp, UTC)
    lines = [f"{k}: {v}" for k, v in pairs if k in ("report-type", "category", "source", "port", "date")]
    extraction.observations.append(
        Observation(
            ip,
            when,
            category,
            field_port(first(pairs, "port")),
            evidence("; ".join(lines)),
            time_original=stamp,
            reason=f"X-ARF {first(pairs, 'version') or '0.2'} {first(pairs, 'report-type') or 'report'}",
        )
    )
    for key in ("destination", "destination-ip", "target"):
        target = field_ip(first(pairs, key))
        if target is not None and target not in extraction.targets:
            extraction.targets.append(target)
    return category


def json_report(text: str) -> dict[str, Any] | None:
    stripped = text.strip()
    if not stripped.startswith("{") or ("xarf_version" not in stripped and '"Report"' not in stripped):
        return None
    try:
        doc = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    if "xarf_version" in doc or (isinstance(doc.get("Report"), dict) and "Version" in doc):
        return doc
    return None


def parse_json(doc: dict[str, Any], extraction: Extraction) -> str | None:
    """Append the source of a v3 or v4 document; return its category."""
    if "xarf_version" in doc:
        source, stamp = doc.get("source_identifier"), doc.get("first_seen") or doc.get("timestamp")
        category = xarf_category(doc.get("type"), doc.get("category"))
        port, target, version = doc.get("destination_port"), doc.get("destination_ip"), doc["xarf_version"]
        rtype = f"{doc.get('category')}/{doc.get('type')}"
    else:
        report = doc["Report"]
        source, stamp = report.get("SourceIp"), report.get("Date")
        category = xarf_category(report.get("ReportType"), report.get("ReportClass"))
        port, target, version = report.get("DestinationPort"), report.get("DestinationIp"), doc.get("Version")
        rtype = str(report.get("ReportType"))
    ip = field_ip(str(source)) if source else None
    if ip is None:
        extraction.reasons.append(
            Reason("extract", "xarf", None, f"XARF JSON report: source {source!r} is not an address")
        )
        return category
    stamp_text = str(stamp) if stamp else None
    flat = {**doc, **doc.get("Report", {})} if isinstance(doc.get("Report"), dict) else doc
    summary = {k: v for k, v in flat.items() if not isinstance(v, dict | list)}
    extraction.observations.append(
        Observation(
            ip,
            field_time(stamp_text, UTC),
            category,
            field_port(port if isinstance(port, int) else str(port) if port else None),
            evidence(json.dumps(summary, ensure_ascii=False, default=str)),
            time_original=stamp_text,
            reason=f"XARF v{version} {rtype}",
        )
    )
    target_ip = field_ip(str(target)) if target else None
    if target_ip is not None and target_ip not in extraction.targets:
        extraction.targets.append(target_ip)
    return category


def extract_xarf(parsed: ParsedMessage, ctx: FormatContext, name: str) -> Extraction | None:
    """X-ARF content of ``parsed`` (0.2 part and/or JSON attachments), or None if there is none."""
    extraction = Extraction(format=name)
    categories: list[str | None] = []
    part = report_part(parsed)
    if part is not None:
        categories.append(parse_v02(part, extraction))
    for data in ctx.files(parsed):
        if data.lower_name == "report.txt":
            continue
        doc = json_report(data.text)
        if doc is not None:
            categories.append(parse_json(doc, extraction))
    if not categories:
        return None
    known = {c for c in categories if c}
    extraction.category = known.pop() if len(known) == 1 else None
    if not extraction.observations:
        extraction.observations = body_observations(
            parsed,
            extraction.category,
            "X-ARF report without an address Source; address from the report text",
        )
    return extraction


@register(order=40)
class XarfParser:
    name = "xarf"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        return extract_xarf(parsed, ctx, self.name)
