"""HTML-only mails: the free-text extractor runs on the text of the HTML (parsing/text.py)."""

from __future__ import annotations

from dataclasses import replace

from abusebox.core.models import Extraction, ParsedMessage, TextPart
from abusebox.extract.formats import register
from abusebox.extract.formats.context import FormatContext
from abusebox.extract.freeform import extract_freeform
from abusebox.parsing.text import readable_parts


def as_text_parts(parsed: ParsedMessage) -> list[TextPart] | None:
    """Body parts with HTML turned into text, or None when the body has a non-empty text/plain part."""
    body = [p for p in parsed.text_parts if p.origin == "body"]
    if not any(p.content_type == "text/html" for p in body):
        return None
    if any(p.content_type == "text/plain" and p.text.strip() for p in body):
        return None
    return readable_parts(parsed.text_parts)


@register(order=120)
class HtmlParser:
    name = "html"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        parts = as_text_parts(parsed)
        if parts is None:
            return None
        extraction = extract_freeform(replace(parsed, text_parts=parts))
        extraction.format = self.name
        return extraction
