"""Field values of structured reports: one address, one time, one port, evidence text.

Structured formats know which column holds what, so these work on one field value
(fast paths for the common exact forms; the shared extract helpers for the rest).
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime, tzinfo
from functools import lru_cache

from abusebox.extract.ips import parse_ip
from abusebox.extract.times import parse_time

EVIDENCE_MAX = 500


def field_ip(value: str | None) -> str | None:
    """Canonical address or network in one labelled field, or None.

    Loopback, link-local and unspecified addresses are dropped (they name no host on a
    network). Unlike free text, a multicast address in a column the feed labels as the
    source is kept: it is the reporter's explicit statement (often anonymised data) and
    dropping it would silently lose the row.
    """
    if not value:
        return None
    text = value.strip().strip('"')
    if not text:
        return None
    if ":" not in text:  # a dotted quad, the usual case: read by the C inet_pton
        try:
            packed = socket.inet_pton(socket.AF_INET, text)
        except (OSError, ValueError):
            pass
        else:
            # loopback 127/8, link-local 169.254/16, unspecified 0.0.0.0; else the text
            # is canonical already (inet_pton takes four decimal parts, no leading zeros)
            if packed[0] == 127 or packed[:2] == b"\xa9\xfe" or packed == b"\0\0\0\0":
                return None
            return text
    return _parsed_ip(text)


def _parsed_ip(text: str) -> str | None:
    """``field_ip`` of a stripped, non-empty value by ``ipaddress`` (its reference)."""
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return parse_ip(text)
    if addr.is_loopback or addr.is_link_local or addr.is_unspecified:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return addr.compressed


def field_time(value: str | None, default_tz: tzinfo | None = UTC) -> datetime | None:
    """An aware UTC time at second precision from one field, or None."""
    if not value:
        return None
    text = value.strip()
    if not text:
        return None
    return _cached_time(text, default_tz)


@lru_cache(maxsize=4096)
def _cached_time(text: str, default_tz: tzinfo | None) -> datetime | None:
    # Feeds repeat the same timestamps many times; the exact ISO form is the common case.
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return parse_time(text, default_tz=default_tz)
    if when.tzinfo is None:
        if default_tz is None:
            return None
        when = when.replace(tzinfo=default_tz)
    if not 1990 <= when.year <= 2100:
        return None
    return when.astimezone(UTC).replace(microsecond=0)


def field_port(value: str | int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value if 0 <= value <= 65535 else None
    text = value.strip()
    if not text.isdigit():
        return None
    port = int(text)
    return port if 0 <= port <= 65535 else None


def evidence(text: str) -> str:
    """One line of evidence: whitespace collapsed, trimmed to EVIDENCE_MAX characters."""
    line = " ".join(text.split())
    return line if len(line) <= EVIDENCE_MAX else line[: EVIDENCE_MAX - 1] + "…"
