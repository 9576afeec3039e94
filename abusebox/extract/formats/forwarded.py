"""Forwarded reports: a message/rfc822 attachment, or an inline forwarded block.

What matters is the report inside: its own From/Date (zones, syslog years) and its
format (a forwarded blocklist.de or JPCERT/CC mail is still that format). The
forwarder's headers are not the report's. Addresses the forwarder states in their own
words above the forwarded block are used only when the inner report names no source.
"""

from __future__ import annotations

import re
from dataclasses import replace

from abusebox.core.models import Extraction, ParsedMessage, TextPart
from abusebox.core.reasons import Reason
from abusebox.extract.formats import parse_known_format, register
from abusebox.extract.formats.context import FormatContext
from abusebox.extract.freeform import extract_freeform
from abusebox.extract.times import parse_time
from abusebox.parsing.addresses import get_addresses
from abusebox.parsing.headers import parse_date
from abusebox.parsing.text import FORWARD_MARKER

MAX_FORWARD_DEPTH = 3
_HEADER = re.compile(
    r"^[ \t>]*\*?(From|Sent|Date|Subject|To|Cc|差出人|送信者|送信日時|日付|日時|件名|宛先|宛て先)"
    r"\*?\s*[:：]\s*(.*)$"
)
_HEADER_NAMES = {
    "差出人": "from", "送信者": "from", "送信日時": "date", "日付": "date", "日時": "date",
    "件名": "subject", "宛先": "to", "宛て先": "to", "sent": "date",
}  # fmt: skip


def split_inline(text: str) -> tuple[str, list[tuple[str, str]], str] | None:
    """(text before the marker, forwarded header pairs, forwarded body), or None."""
    marker = FORWARD_MARKER.search(text)
    if marker is None:
        return None
    lines = text[marker.end() :].lstrip("\n").split("\n")
    headers: list[tuple[str, str]] = []
    at = 0
    while at < len(lines) and at < 30:
        match = _HEADER.match(lines[at])
        if match:
            name = match.group(1)
            headers.append(
                (_HEADER_NAMES.get(name.lower(), _HEADER_NAMES.get(name, name.lower())), match.group(2))
            )
        elif lines[at].strip() or headers:
            break
        at += 1
    if not headers:
        return None
    body = "\n".join(line[1:].lstrip() if line.startswith(">") else line for line in lines[at:])
    return text[: marker.start()], headers, body


def inner_message(parsed: ParsedMessage, headers: list[tuple[str, str]], body: str) -> ParsedMessage:
    """A ParsedMessage standing for the inline forwarded report."""
    values = {k: v for k, v in reversed(headers)}
    from_value = values.get("from", "")
    addresses = [a for _n, a in get_addresses(from_value) if a]
    date = parse_date(values.get("date")) or (
        parse_time(values["date"], reference=parsed.date) if values.get("date") else None
    )
    return replace(
        parsed,
        headers=[(k.title(), v) for k, v in headers],
        from_addr=addresses[0].lower() if addresses else None,
        from_header=from_value or None,
        from_count=len(addresses),
        subject=values.get("subject", ""),
        date=date,
        text_parts=[TextPart(body, "text/plain", None, "body", "utf-8")],
        nested=[],
    )


def _outer_only(parsed: ParsedMessage, text: str) -> ParsedMessage:
    return replace(
        parsed, text_parts=[TextPart(text, "text/plain", None, "body", "utf-8")], nested=[], attachments=[]
    )


@register(order=110)
class ForwardedParser:
    name = "forwarded"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        if ctx.depth >= MAX_FORWARD_DEPTH or parsed.content_type == "multipart/report":
            # A bounce or read receipt returns *our* message: it is not a forwarded report.
            return None
        if parsed.nested:
            inner = parsed.nested[0]
            # The forwarder's subject often is the statement ("complaint about message from <ip>").
            outer_text = "\n".join(
                [f"Subject: {parsed.subject}"] + [p.text for p in parsed.text_parts if p.origin == "body"]
            )
            return self._combine(parsed, inner, outer_text, ctx)
        body = [p for p in parsed.text_parts if p.origin == "body" and p.content_type == "text/plain"]
        for part in body:
            split = split_inline(part.text)
            if split is not None:
                before, headers, text = split
                return self._combine(parsed, inner_message(parsed, headers, text), before, ctx)
        return None

    def _combine(
        self, outer: ParsedMessage, inner: ParsedMessage, outer_text: str, ctx: FormatContext
    ) -> Extraction:
        child = FormatContext(ctx.limits, depth=ctx.depth + 1)
        result = parse_known_format(inner, ctx=child) or extract_freeform(inner)
        if result.format == "freeform":
            result.format = self.name
        result.reasons.append(
            Reason(
                "extract",
                self.name,
                None,
                f"forwarded by {outer.from_addr or 'unknown sender'}; the inner report was read",
            )
        )
        if outer_text.strip() and not any(o.role == "source" for o in result.observations):
            # Only when the forwarded report names no source: then the forwarder's own
            # words (e.g. "complaint about message from <ip>") are the report.
            result.observations.extend(extract_freeform(_outer_only(outer, outer_text)).observations)
        return result
