"""Header values as we read them: encoded words, the Date, the From address.

mime.py's full parse and its header facts of a message that does not parse both read
headers here, as do the formats that quote headers of their own (ARF, forwarded mail).
Kept apart from the MIME walk because these rules are about hostile header text, not
the tree: RFC 2047 words decoded with our charset rules (linearly for long values), a
value made one line so that a decoded CRLF never starts one, a Date year the stdlib
would misread refused, and the From address read from the raw header, where an encoded
word is only ever a display name.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import quopri
import re
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message

from abusebox.parsing.addresses import get_addresses
from abusebox.parsing.charsets import decode_bytes

_UNFOLD = re.compile(r"\r?\n[ \t]+")


# Longer header values are read by our own linear pattern: the stdlib's encoded-word
# pattern backtracks on many unterminated words ("=?utf-8?b?...Subject: =?utf-8?b?..."),
# 18 s for a 225 KB Subject the fuzzer built. Mail a person sends has far shorter headers,
# which keep the stdlib's exact reading.
_LONG_HEADER = 4000
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?\s]{0,2000})\?=")


def _decode_header(value: object) -> list[tuple[bytes | str, str | None]]:
    """``email.header.decode_header``, linear for long values (see _LONG_HEADER)."""
    text = str(value)
    if len(text) <= _LONG_HEADER:
        return decode_header(value)  # type: ignore[arg-type]
    chunks: list[tuple[bytes | str, str | None]] = []
    pos = 0
    for m in _ENCODED_WORD.finditer(text):
        charset, encoding, payload = m.groups()
        try:
            if encoding in "bB":
                data = base64.b64decode(payload + "=" * (-len(payload) % 4))
            else:
                data = quopri.decodestring(payload.encode("ascii", "replace"), header=True)
        except (binascii.Error, ValueError):
            continue  # not a readable word: left as the text it is
        if m.start() > pos:
            chunks.append((text[pos : m.start()], None))
        chunks.append((data, charset.split("*", 1)[0].lower()))
        pos = m.end()
    if pos < len(text):
        chunks.append((text[pos:], None))
    return chunks


def decode_header_value(value: str | None) -> str:
    """Decode RFC 2047 encoded words with our charset rules; never raises."""
    if not value:
        return ""
    if isinstance(value, str) and "=?" not in value:
        # No encoded word: decode_header would hand the text back as it is (lazy path).
        text = _UNFOLD.sub(" ", value) if "\n" in value else value
        return _HEADER_CONTROLS.sub(" ", text).strip()
    try:
        # compat32 hands 8-bit header bytes over as a Header object: decode_header gives
        # them back as bytes ("unknown-8bit"), which our charset rules then decode;
        # str() of it would have turned them into U+FFFD already.
        chunks = _decode_header(value)
    except Exception:  # the stdlib raises several types on hostile words
        return str(value).strip()
    value = str(value)
    out: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset)[0])
        else:
            out.append(chunk)
    text = "".join(out)
    if not text.strip():
        text = value  # an encoded word that decodes to nothing: keep what was sent
    # folded headers keep CRLF + whitespace: unfold. A header value is one line: a CR, LF
    # or other line break decoded from an encoded word (`=0D=0ABcc:`) becomes a space, so it
    # never starts a line in evidence, header text or a draft.
    text = _UNFOLD.sub(" ", text)
    return _HEADER_CONTROLS.sub(" ", text).strip()


_HEADER_CONTROLS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]+")


_BAD_YEAR = re.compile(r"(?<![\d:+-])(?:0000|\d{5,})(?![\d:])")


def parse_date(value: str | None) -> datetime | None:
    """Parse an RFC 2822 Date header to an aware datetime (UTC if it says -0000)."""
    if not value:
        return None
    text = str(value)  # compat32 hands back a Header object when the value has non-ASCII bytes
    if _BAD_YEAR.search(text):
        return None  # year 0000 (read as 2000 by the stdlib) or a year of 5+ digits
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1990 <= parsed.year <= 2100:
        return None
    return parsed


# Never part of an address: what is left of a broken header ("unterminated <a@"), NULs.
_NOT_AN_ADDRESS = re.compile(r"[\s<>\x00-\x1f\x7f]")


def received_time(msg: Message) -> datetime | None:
    for value in (msg.get_all("Received") or [])[:1]:
        _hops, _sep, when = str(value).rpartition(";")
        return parse_date(when.strip()) if when else None
    return None


def _unfold(value: object) -> str:
    """A raw header value as one line (folding removed); 8-bit bytes as U+FFFD."""
    text = str(value) if isinstance(value, str) else _header_text(value)
    return text.replace("\r\n", "").replace("\n", "").replace("\r", "")


def _header_text(value: object) -> str:
    try:
        return "".join(
            part.decode("ascii", "replace") if isinstance(part, bytes) else part
            for part, _charset in _decode_header(value)
            if _charset is None
        ) or str(value)
    except Exception:
        return str(value)


def _first_address(value: str) -> tuple[str | None, int]:
    addresses = [a for _n, a in get_addresses(value) if a and not _NOT_AN_ADDRESS.search(a)]
    if not addresses:
        return None, 0
    return addresses[0].lower(), len(addresses)


def sender(msg: Message, from_values: list[str]) -> tuple[str | None, int]:
    """The From address and how many addresses From holds.

    The address comes from the raw header (RFC 5322): an encoded word is only ever a
    display name, so `=?utf-8?q?security=40jpcert=2Eor=2Ejp?= <evil@attacker.example>`
    is evil@attacker.example, and an encoded CRLF cannot add an address.
    """
    raw_from = [_unfold(v) for k, v in msg.items() if str(k).lower() == "from"]
    from_addr, count = _first_address(raw_from[0]) if raw_from else (None, 0)
    if from_addr is not None and ("@" not in from_addr or "=?" in from_addr):
        from_addr, count = None, 0  # an encoded word where the address should be
    if from_addr is None and from_values and "=?" in raw_from[0]:
        # Some Japanese mailers encode the whole header, address included (not RFC 5322):
        # accepted only when the decoded value holds exactly one address. Trust never
        # rests on this address alone (triage requires DMARC or a PGP signature).
        decoded_addr, decoded_count = _first_address(from_values[0])
        if decoded_count == 1:
            from_addr, count = decoded_addr, 1
    return from_addr, count
