"""Rebuild a message with its encrypted parts replaced by their plaintext, for the pipeline.

The rest of the message stays as it was: text written around an inline encrypted block,
other parts and attachments all reach extraction (the raw message with its ciphertext
stays the evidence). Replacements are cut in by position in the raw bytes, like the
signature checks, so no re-serialisation changes what we did not decrypt.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

_MIME_VERSION = b"\r\nMIME-Version: 1.0\r\n"


@dataclass(frozen=True)
class Splice:
    """Replace the entity whose exact bytes are ``source`` by the entity ``replacement``."""

    source: bytes
    replacement: bytes  # a complete MIME entity: content headers, blank line, body


def text_entity(text: str, subtype: str = "plain") -> bytes:
    """A UTF-8 text/<subtype> entity (base64, so any text survives the re-parse unchanged)."""
    body = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    head = f"Content-Type: text/{subtype}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    return head.encode("ascii") + body


def as_message(outer: bytes, entity: bytes) -> bytes:
    """A top-level message: the outer (non-content) headers followed by ``entity``."""
    return outer + _MIME_VERSION + entity


def splice(raw: bytes, outer: bytes, splices: list[Splice]) -> bytes:
    """``raw`` with each splice applied; splices are in document order and do not overlap.

    A splice of the whole message (a top-level encrypted entity) keeps the outer headers.
    """
    if len(splices) == 1 and splices[0].source == raw:
        return as_message(outer, splices[0].replacement)
    out: list[bytes] = []
    cursor = 0
    for item in splices:
        at = raw.find(item.source, cursor)
        if at < 0 or not item.source:  # cannot happen for slices of raw; never corrupt the rest
            continue
        out += [raw[cursor:at], item.replacement]
        cursor = at + len(item.source)
    out.append(raw[cursor:])
    return b"".join(out)
