"""HTML-only mail with hidden text: how filters are fooled, not how reports are written."""

from __future__ import annotations

import re

from abusebox.triage.base import RuleHit, TriageContext, register

_HIDDEN = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[01](?:px|pt)?\s*[;\"']|"
    r"color\s*:\s*#?(?:fff(?:fff)?|white)\b[^>]{0,200}background(?:-color)?\s*:\s*#?(?:fff(?:fff)?|white)\b|"
    r"<font[^>]{0,100}color=\"?#?(?:fff(?:fff)?|white)\b",
    re.IGNORECASE,
)


class HiddenHtml:
    name = "hidden_html"
    description = "HTML-only body, especially with hidden text"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        body = [p for p in ctx.parsed.text_parts if p.origin == "body"]
        html = [p for p in body if p.content_type == "text/html"]
        if not html or any(p.content_type == "text/plain" for p in body):
            return None
        hidden = sum(len(_HIDDEN.findall(p.text[:200_000])) for p in html)
        if hidden:
            return RuleHit(2.5, f"HTML-only body with {hidden} hidden-text styles", "spam")
        return RuleHit(0.5, "HTML-only body (no plain-text part)", "spam")


register(HiddenHtml())
