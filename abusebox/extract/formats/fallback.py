"""Free-text extraction limited to the reporter's own body text.

For structured reports whose structured field holds no address (an ARF without
``Source-IP``, an X-ARF report whose Source is a URL): the human-readable part often
states the address ("The server has the IP address 192.0.2.1"). Attached originals and
their Received relays are left out.
"""

from __future__ import annotations

from dataclasses import replace

from abusebox.core.models import Observation, ParsedMessage
from abusebox.extract.freeform import extract_freeform

_TEXT_TYPES = ("text/plain", "text/html")


def body_observations(parsed: ParsedMessage, category: str | None, reason: str) -> list[Observation]:
    parts = [p for p in parsed.text_parts if p.origin == "body" and p.content_type in _TEXT_TYPES]
    if not parts:
        return []
    found = extract_freeform(replace(parsed, text_parts=parts, nested=[], attachments=[]))
    return [
        replace(o, category=category or o.category, reason=reason, confidence=min(o.confidence, 0.7))
        for o in found.observations
        if o.role == "source"
    ]
