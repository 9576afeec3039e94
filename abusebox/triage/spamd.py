"""A minimal spamc: ask a SpamAssassin spamd for its verdict (SPAMC/SPAMD protocol 1.5).

Only used when ``triage.spamd_host`` is configured; never required. The response
parser is separate from the socket code so it can be tested on recorded bytes.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

_STATUS = re.compile(rb"^SPAMD/(\d+\.\d+)\s+(\d+)\s+(\S+)")
_SPAM = re.compile(
    rb"^Spam:\s*(True|False|Yes|No)\s*;\s*(-?\d+(?:\.\d+)?)\s*/\s*(-?\d+(?:\.\d+)?)", re.I | re.M
)
MAX_RESPONSE = 64 * 1024


class SpamdError(Exception):
    """spamd could not be asked or answered something we do not understand."""


@dataclass(frozen=True)
class SpamdVerdict:
    is_spam: bool
    score: float
    threshold: float


def build_request(raw: bytes, user: str | None = None) -> bytes:
    head = f"CHECK SPAMC/1.5\r\nContent-length: {len(raw)}\r\n"
    if user:
        head += f"User: {user}\r\n"
    return head.encode("ascii") + b"\r\n" + raw


def parse_response(data: bytes) -> SpamdVerdict:
    status = _STATUS.match(data)
    if status is None:
        raise SpamdError(f"not a spamd response: {data[:60]!r}")
    if status.group(2) != b"0":
        raise SpamdError(f"spamd error {status.group(2).decode()} {status.group(3).decode(errors='replace')}")
    spam = _SPAM.search(data)
    if spam is None:
        raise SpamdError("spamd response without a Spam: header")
    return SpamdVerdict(
        is_spam=spam.group(1).lower() in (b"true", b"yes"),
        score=float(spam.group(2)),
        threshold=float(spam.group(3)),
    )


def ask_spamd(raw: bytes, host: str, port: int, timeout: float) -> SpamdVerdict:
    """One CHECK over TCP; raises SpamdError (also on timeouts and refused connections)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(build_request(raw))
            sock.shutdown(socket.SHUT_WR)
            chunks: list[bytes] = []
            size = 0
            while size < MAX_RESPONSE:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except OSError as exc:  # refused, unreachable, timed out
        raise SpamdError(f"spamd at {host}:{port}: {exc}") from exc
    return parse_response(b"".join(chunks))
