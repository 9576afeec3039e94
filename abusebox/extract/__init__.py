"""Extraction: offending sources, targets, times and categories from a parsed message.

``extract(parsed, limits)`` tries the registered format parsers (by sender and
structure) before the free-text extractor.
"""

from __future__ import annotations

from abusebox.core.config import LimitSettings
from abusebox.core.models import Extraction, ParsedMessage
from abusebox.extract.formats import parse_known_format
from abusebox.extract.freeform import extract_freeform
from abusebox.extract.netcontext import networks_to_context
from abusebox.extract.unpacked import with_unpacked_text


def extract(parsed: ParsedMessage, limits: LimitSettings | None = None) -> Extraction:
    structured = parse_known_format(parsed, limits)
    if structured is not None:
        return networks_to_context(structured)
    return networks_to_context(extract_freeform(with_unpacked_text(parsed, limits)))
