"""Extraction: offending sources, targets, times and categories from a parsed message.

``extract(parsed, limits)`` tries the registered format parsers (by sender and
structure) before the free-text extractor.
"""

from __future__ import annotations

from dataclasses import replace

from abusebox.core.config import LimitSettings
from abusebox.core.models import Extraction, ParsedMessage
from abusebox.core.reasons import Reason
from abusebox.extract.formats import parse_known_format
from abusebox.extract.freeform import extract_freeform
from abusebox.extract.netcontext import networks_to_context
from abusebox.extract.unpacked import with_unpacked_text


def extract(parsed: ParsedMessage, limits: LimitSettings | None = None) -> Extraction:
    structured = parse_known_format(parsed, limits)
    if structured is not None:
        return capped(networks_to_context(structured), limits)
    return capped(networks_to_context(extract_freeform(with_unpacked_text(parsed, limits))), limits)


def capped(extraction: Extraction, limits: LimitSettings | None) -> Extraction:
    """Keep at most ``max_observations`` observations, saying so: what the parent groups
    and commits for one message stays bounded, whatever the message holds."""
    cap = (limits or LimitSettings()).max_observations
    if len(extraction.observations) <= cap:
        return extraction
    dropped = len(extraction.observations) - cap
    text = f"more than {cap} observations; the last {dropped} dropped (max_observations)"
    return replace(
        extraction,
        observations=extraction.observations[:cap],
        reasons=[*extraction.reasons, Reason("extract", "max_observations", None, text)],
    )
