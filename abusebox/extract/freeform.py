"""Baseline free-text extractor: addresses and nearby timestamps in text parts."""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC

from dateutil import parser as dateparser

from abusebox.models import Extraction, Observation, ParsedMessage, canonical_ip

_CANDIDATE = re.compile(r"[0-9A-Fa-f:.]{7,45}")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:?\d{2})?")


def _addresses(line: str) -> list[str]:
    found: list[str] = []
    for match in _CANDIDATE.finditer(line):
        token = match.group().strip(".:")
        try:
            addr = ipaddress.ip_address(token)
        except ValueError:
            continue
        if addr.is_loopback or addr.is_unspecified or addr.is_multicast or addr.is_link_local:
            continue
        canon = canonical_ip(token)
        if canon not in found:
            found.append(canon)
    return found


def extract_freeform(parsed: ParsedMessage) -> Extraction:
    observations: list[Observation] = []
    seen: set[tuple[str, object]] = set()
    for part in parsed.text_parts:
        if part.origin == "rfc822":
            continue
        for line in part.text.splitlines():
            ips = _addresses(line)
            if not ips:
                continue
            when = None
            iso = _ISO.search(line)
            if iso:
                try:
                    when = dateparser.isoparse(iso.group().replace(" ", "T"))
                    if when.tzinfo is None:
                        when = when.replace(tzinfo=parsed.date.tzinfo if parsed.date else UTC)
                    when = when.astimezone(UTC).replace(microsecond=0)
                except ValueError:
                    when = None
            for ip in ips:
                if (ip, when) in seen:
                    continue
                seen.add((ip, when))
                observations.append(Observation(ip=ip, time=when, evidence=line.strip()[:500]))
    return Extraction(format="freeform", observations=observations)
