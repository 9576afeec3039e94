"""Extraction: offending sources, targets, times and categories from a parsed message.

``extract(parsed, limits)`` tries the registered format parsers (by sender and
structure) before the free-text extractor.
"""

from __future__ import annotations

from abusebox.config import LimitSettings
from abusebox.extract.freeform import extract_freeform
from abusebox.models import Extraction, ParsedMessage
from abusebox.parsing.formats import parse_known_format


def extract(parsed: ParsedMessage, limits: LimitSettings | None = None) -> Extraction:
    structured = parse_known_format(parsed, limits)
    if structured is not None:
        return structured
    return extract_freeform(parsed)
