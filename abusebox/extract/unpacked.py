"""Compressed text attachments (secure.log.gz, access.log.gz, logs.zip) read like text ones.

The format parsers open archives through their FormatContext; the free-text extractor
reads ``text_parts``, so a gzip'd log a person attaches to a complaint is unpacked
here (within the same decode bounds) into attachment text parts before it runs.
"""

from __future__ import annotations

from dataclasses import replace

from abusebox.core.config import LimitSettings
from abusebox.core.models import ParsedMessage, TextPart
from abusebox.parsing.archives import DecodeBudget, expand, is_gzip, is_zip
from abusebox.parsing.charsets import decode_bytes

_BINARY_HEADS = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8", b"MZ", b"\x7fELF")


def with_unpacked_text(parsed: ParsedMessage, limits: LimitSettings | None = None) -> ParsedMessage:
    """``parsed`` with the textual members of its zip/gzip attachments added as text parts."""
    packed = [a for a in parsed.attachments if is_gzip(a.payload) or is_zip(a.payload)]
    if not packed:
        return parsed
    budget = DecodeBudget(limits or LimitSettings())
    extra: list[TextPart] = []
    for att in packed:
        for member in expand(att.filename, att.payload, budget):
            head = member.data[:8192]
            if not head or b"\0" in head or head.startswith(_BINARY_HEADS):
                continue
            text, codec = decode_bytes(member.data, None)
            name = member.name.rsplit("/", 1)[-1]
            extra.append(TextPart(text, "text/plain", name, "attachment", codec, att.depth))
    if not extra:
        return parsed
    return replace(parsed, text_parts=[*parsed.text_parts, *extra])
