"""Interim stand-ins for abusebox.extract.{times,categories} until that branch lands."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from dateutil import parser as dateparser

from abusebox.models import canonical_ip

_CAND = re.compile(r"[0-9A-Fa-f:.\[\]]{7,60}(?:/\d{1,3})?")
JST = timezone(timedelta(hours=9), "JST")


@dataclass(frozen=True)
class IpHit:
    ip: str
    start: int
    end: int
    port: int | None = None
    is_network: bool = False


def parse_ip(value: str) -> str | None:
    text = value.strip().replace("[.]", ".").replace("(.)", ".").translate(
        str.maketrans("０１２３４５６７８９．：", "0123456789.:")
    )
    if text.count(":") == 1 and "." in text:
        text = text.split(":")[0]
    try:
        if "/" in text:
            net = ipaddress.ip_network(text, strict=False)
            addr = net.network_address
        else:
            addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if addr.is_loopback or addr.is_multicast or addr.is_link_local or addr.is_unspecified:
        return None
    return canonical_ip(text)


def find_ips(text: str) -> list[IpHit]:
    hits = []
    for m in _CAND.finditer(text):
        ip = parse_ip(m.group().strip(".:[]"))
        if ip:
            hits.append(IpHit(ip, m.start(), m.end(), None, "/" in ip))
    return hits


_JP = re.compile(r"(\d{4})\s*[年/-]\s*(\d{1,2})\s*[月/-]\s*(\d{1,2})\s*日?\s*(\d{1,2})\s*[時:]\s*(\d{1,2})\s*分?(?:\s*:?\s*(\d{1,2})\s*秒?)?")


def parse_time(value: str, *, default_tz: tzinfo | None = None, reference: datetime | None = None) -> datetime | None:
    m = _JP.search(value)
    try:
        if m:
            y, mo, d, h, mi, s = m.groups()
            when = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
            if "JST" in value or "+09" in value:
                when = when.replace(tzinfo=JST)
        elif value.strip().isdigit() and len(value.strip()) == 10:
            when = datetime.fromtimestamp(int(value.strip()), UTC)
        else:
            when = dateparser.parse(value, fuzzy=True, tzinfos={"JST": 9 * 3600, "EDT": -4 * 3600})
    except (ValueError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        if default_tz is None:
            return None
        when = when.replace(tzinfo=default_tz)
    return when.astimezone(UTC).replace(microsecond=0)


def stated_zone(text: str) -> tzinfo | None:
    if "JST" in text or "日本時間" in text:
        return JST
    if "UTC" in text or "GMT" in text:
        return UTC
    return None


def category_from_text(text: str) -> str | None:
    low = text.lower()
    for words, cat in (
        (("brute", "login", "ssh", "password"), "brute-force"),
        (("scan",), "scan"),
        (("ddos", "dos "), "dos"),
        (("phish",), "phishing"),
        (("malware", "botnet", "infect"), "malware"),
        (("spam",), "spam"),
    ):
        if any(w in low for w in words):
            return cat
    return None


_ISO_IN = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:?\d{2})?")
_SYSLOG = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+(\d{1,2})\s+(\d{2}:\d{2}:\d{2})")


def find_times_in_line(line: str, reference: datetime | None) -> datetime | None:
    tz = reference.tzinfo if reference else UTC
    m = _ISO_IN.search(line)
    if m:
        return parse_time(m.group(), default_tz=tz)
    m = _SYSLOG.search(line)
    if m and reference:
        when = parse_time(f"{m.group(1)} {m.group(2)} {reference.year} {m.group(3)}", default_tz=tz)
        if when and when > reference.astimezone(UTC):
            when = when.replace(year=when.year - 1)
        return when
    return None
