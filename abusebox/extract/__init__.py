"""Extraction: offending sources, targets, times and categories from a parsed message.

``extract(parsed)`` tries the registered format parsers (by sender and structure)
before the free-text extractor.
"""

from __future__ import annotations

from abusebox.extract.freeform import extract_freeform
from abusebox.models import Extraction, ParsedMessage
from abusebox.parsing.formats import parse_known_format


def extract(parsed: ParsedMessage) -> Extraction:
    structured = parse_known_format(parsed)
    if structured is not None:
        return structured
    return extract_freeform(parsed)
