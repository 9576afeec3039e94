"""Extraction: offending sources, targets, times and categories from a parsed message.

``extract(parsed)`` tries the registered format parsers (by sender and structure)
before the free-text extractor.
"""

from __future__ import annotations

from abusebox.extract.freeform import extract_freeform
from abusebox.models import Extraction, ParsedMessage


def extract(parsed: ParsedMessage) -> Extraction:
    return extract_freeform(parsed)
