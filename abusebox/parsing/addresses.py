"""Address-header parsing that survives what senders put there.

``email.utils.getaddresses`` recurses once per nested comment: a From of 20,000
``(`` raises RecursionError (which used to quarantine the whole message). These
wrappers flatten comments in one linear pass when the stdlib gives up, bound the
length they parse, and never raise.
"""

from __future__ import annotations

import email.utils
import functools

MAX_ADDRESS_HEADER = 64 * 1024  # characters of one address header we parse; the rest is ignored


def _without_comments(value: str) -> str:
    """``value`` without (comments), however deeply nested; quoted strings are kept."""
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            escaped = False
            if not depth:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if not depth:
                out.append(ch)
            continue
        if quoted:
            quoted = ch != '"'
            out.append(ch)
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth:
            quoted = ch == '"'
            out.append(ch)
    return "".join(out)


def get_addresses(value: str | None) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header, as getaddresses; never raises."""
    if not value:
        return []
    return list(_parsed(str(value)[:MAX_ADDRESS_HEADER]))


# The stages of one message ask about its From header several times (the sender, PGP's
# signer check, triage's display name): the stdlib parse is slow enough to do it once.
@functools.lru_cache(maxsize=64)
def _parsed(value: str) -> tuple[tuple[str, str], ...]:
    return tuple(_pairs(value))


def _pairs(value: str) -> list[tuple[str, str]]:
    try:
        return email.utils.getaddresses([value])
    except RecursionError:
        pass  # deeply nested comments: flatten them and try once more
    try:
        return email.utils.getaddresses([_without_comments(value)])
    except (RecursionError, ValueError, IndexError):
        return []


def parse_address(value: str | None) -> tuple[str, str]:
    """(display name, address) of the first address, as parseaddr; ('', '') when none."""
    pairs = get_addresses(value)
    return pairs[0] if pairs else ("", "")
