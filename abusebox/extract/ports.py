"""The port an observation records: the attacked or exposed service's, never the source's own.

These readers find it on a line ("DPT=22", "port 22/tcp", 宛先ポート, the target's
``ip:port``, sshd), in a record's ``Port:`` field or ``label: ip:port`` value, or in the
whole report (the one login service a brute-force report names, the one exposed service
of a vulnerability notice). They are kept apart from freeform.py, which only decides in
which order they are asked for each line (its table column, the line, the record, the
paragraph, the report): how ports and services are written is a vocabulary of its own.
"""

from __future__ import annotations

import re

from abusebox.extract.ips import IpHit
from abusebox.extract.roles import RoleGuess
from abusebox.parsing.text import ascii_lower, fold_width

# The port we record is the port of the service that was attacked or exposed (DPT=,
# "port 22/tcp", "宛先ポート 22", the target's ip:port, sshd -> 22). The source's own
# port (sshd "from A port 54321", A:54321) is ephemeral and says nothing: not recorded.
# Matched in the line with its ASCII letters lowered (parsing.text.ascii_lower): the same
# matches as re.IGNORECASE | re.ASCII in the line as written, found faster.
_SERVICE_PORT = re.compile(
    r"\b(?:dpt|dport|dst_?port|dest_?port|destination[ _]port|service[ _]port|target[ _]port)"
    r"[\"']?\s?[=:]\s?(\d{1,5})\b"
    r"|\b(\d{1,5})\s?/\s?(?:tcp|udp)\b"
    r"|(?:宛先|攻撃先|対象)ポート(?:番号)?\s?[:：]?\s?(\d{1,5})|(\d{1,5})\s?番ポート"
    r"|ポート(?:番号)?\s?[:：]?\s?(\d{1,5})"
    r"|\bport\s?(\d{1,5})\b"
    r"|\b(?:tcp|udp)\s?/\s?(\d{1,5})\b",  # "TCP/22", as Japanese notices write it
    re.ASCII,
)
_SERVICE_WORDS = (  # in lowered text
    (re.compile(r"\bssh[d2]?\b", re.ASCII), 22),
    (re.compile(r"\btelnet\b", re.ASCII), 23),
    (re.compile(r"\brdp\b|\bremote desktop\b|リモートデスクトップ", re.ASCII), 3389),
)
# A record's own field ("Port:  443" on a line of its own, as C2 trackers and exposure
# monitors write their key: value blocks): the port of the service the record describes.
_PORT_FIELD = re.compile(r"^[ \t]*(?:port|ポート(?:番号)?)[ \t]*[:：=][ \t]*(\d{1,5})[ \t]*$", re.I | re.M)
# "ioc: 203.0.113.95:8443", "C2 server: 192.0.2.4:443": a field whose value is the address
# with its port, and nothing else: the record's service (a log's "from A:54321" is not one).
_FIELD_LABEL = re.compile(r"^[ \t]*(?:[^\s:：=][^:：=]{0,40}[:：=])?[ \t]*[\[(]?$")
_PORT_HINT = re.compile(r"port|pt=|/tcp|/udp|tcp/|udp/|ポート")  # in the lowered line too


def service_port(line: str, hits: list[IpHit], roles: list[RoleGuess], *, bare: bool = True) -> int | None:
    """The attacked port stated on ``line``; ``bare=False`` ignores a plain "port N"."""
    # "ＳＳＨ", "ＴＣＰ／２２" folded, ASCII letters lowered; one to one, so indices stay valid.
    line = ascii_lower(fold_width(line))
    source_ends = [h.end for h, r in zip(hits, roles, strict=True) if r.role == "source"]
    matches = _SERVICE_PORT.finditer(line) if _PORT_HINT.search(line) else ()
    for m in matches:
        value = next(g for g in m.groups() if g is not None)
        if m.group(6) is not None and (not bare or any(0 <= m.start() - end <= 2 for end in source_ends)):
            continue  # "from 203.0.113.9 port 54321": the source's own port
        if 0 < int(value) <= 65535:
            return int(value)
    for hit, role in zip(hits, roles, strict=True):
        if role.role == "target" and hit.port is not None:
            return hit.port
    for pattern, port in _SERVICE_WORDS:
        if pattern.search(line):
            return port
    return None


def port_field(text: str) -> int | None:
    """The one ``Port: N`` field of a paragraph of key: value lines; None for none or several."""
    ports = {int(m.group(1)) for m in _PORT_FIELD.finditer(fold_width(text))}
    port = ports.pop() if len(ports) == 1 else None
    return port if port is not None and 0 < port <= 65535 else None


# Reports in which the source runs the service they are about (a C2 server, an exposed
# database, a phishing site): its own port is that service's. Elsewhere (an attack) it
# is the attacker's ephemeral port and says nothing.
SERVER_CATEGORIES = frozenset({"malware", "vulnerable", "phishing"})


def record_port(line: str, hits: list[IpHit], roles: list[RoleGuess]) -> int | None:
    """The port of a source written as a record's field value, ``label: A:port``."""
    sources = [h for h, r in zip(hits, roles, strict=True) if r.role == "source"]
    if len(hits) != 1 or len(sources) != 1:
        return None
    hit, port = sources[0], sources[0].port
    if port is None or line[hit.end :].strip(" \t])") or not _FIELD_LABEL.match(line[: hit.start]):
        return None
    return port if 0 < port <= 65535 else None


# Login services without a port word of their own: a report naming one of them next to
# SSH or RDP is about several services, and no single port applies to all its sources.
_OTHER_SERVICES = re.compile(  # in lowered text
    r"\bhttp/\d|\bwp-login|\bxmlrpc|\b(?:e?smtp|imap|pop3|ftp|sasl|dovecot|postfix|exim|sip|vnc|mysql)\b",
    re.ASCII,
)


# Exposed services named by notices of open resolvers, amplifiers and the like (in lowered text).
_EXPOSED_WORDS = (
    (re.compile(r"open (?:dns )?resolver|オープンリゾルバ|\bdns\b", re.ASCII), 53),
    (re.compile(r"\bntp\b|monlist", re.ASCII), 123),
    (re.compile(r"memcached", re.ASCII), 11211),
    (re.compile(r"\bssdp\b", re.ASCII), 1900),
    (re.compile(r"\bsnmp\b", re.ASCII), 161),
)


def exposed_service(text: str) -> int | None:
    """The port of the one exposed service a vulnerability notice names; None for several."""
    head = ascii_lower(text[:200_000])
    ports = {port for pattern, port in _EXPOSED_WORDS if pattern.search(head)}
    return ports.pop() if len(ports) == 1 else None


def report_service(text: str) -> int | None:
    """The port of the one login service a brute-force report names anywhere ("Remote
    Desktop" in the prose, Event 4625 lines below it); None when it names several."""
    head = ascii_lower(text[:200_000])
    ports = {port for pattern, port in _SERVICE_WORDS if pattern.search(head)}
    if len(ports) != 1 or _OTHER_SERVICES.search(head):
        return None
    return ports.pop()
