"""Networks and spans written in prose are context, never observations.

"your network 203.0.113.0/24", "the addresses 203.0.113.30-33", a monitored /24 in an
exposure alert: a handler acts on the addresses that did something, and the range only
says where they live. Structured feeds that list networks in an address column (DROP
lists, blocklist CSVs) are another matter and keep theirs: only the prose extractors'
results pass through here. A report naming *only* a range ("hosts in 203.0.113.16/28
have been scanning") keeps it as its source: there is nothing narrower to act on.
"""

from __future__ import annotations

from dataclasses import replace

from abusebox.core.models import Extraction

PROSE_FORMATS = frozenset({"freeform", "forwarded", "jpcert", "iodef"})


def networks_to_context(extraction: Extraction) -> Extraction:
    """Move network (prefix or span) observations out of ``observations`` into ``context``."""
    if extraction.format not in PROSE_FORMATS:
        return extraction
    networks = [o for o in extraction.observations if "/" in o.ip]
    kept = [o for o in extraction.observations if "/" not in o.ip]
    if not networks or not any(o.role == "source" for o in kept):
        return extraction
    context = list(extraction.context)
    for o in networks:
        if o.ip not in context:
            context.append(o.ip)
    targets = [t for t in extraction.targets if "/" not in t]
    for t in extraction.targets:
        if "/" in t and t not in context:
            context.append(t)
    return replace(extraction, observations=kept, targets=targets, context=context)
