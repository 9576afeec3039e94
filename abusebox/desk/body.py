"""A stored message's words for a handler: the extracted text, and for an HTML-only message
its markup cleaned by nh3 (no scripts, no links, no images, no styles: nothing that runs or
loads), to be shown only inside a sandboxed frame served with a CSP of its own."""

from __future__ import annotations

from dataclasses import dataclass

import nh3
from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.errors import LimitExceeded
from abusebox.parsing.mime import parse_message
from abusebox.parsing.text import readable_parts
from abusebox.store.raw import RawUnavailable, read_raw

MAX_TEXT = 200_000
MAX_HTML = 1_000_000
# Structure and emphasis only; every attribute goes except table spans.
_TAGS = {
    "p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "small", "sub", "sup", "code", "pre",
    "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "a", "font", "center",
}  # fmt: skip
_ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
_DROP_WITH_CONTENT = {
    "script",
    "style",
    "title",
    "head",
    "noscript",
    "template",
    "iframe",
    "object",
    "svg",
    "math",
}


@dataclass(frozen=True)
class MessageBody:
    text: str  # what extraction read: plain parts, HTML as text
    html: str | None  # the cleaned markup of an HTML-only message, else None
    unavailable: str | None = None  # why there is nothing to show (raw pruned, too large)


def clean_html(markup: str) -> str:
    return nh3.clean(
        markup[:MAX_HTML],
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )


def message_body(settings: Settings, session: Session, pk: int) -> MessageBody | None:
    """None for no such message."""
    try:
        raw = read_raw(settings, session, pk)
    except KeyError:
        return None
    except RawUnavailable as exc:
        return MessageBody("", None, str(exc))
    try:
        parsed = parse_message(raw, settings.limits)
    except LimitExceeded as exc:
        return MessageBody("", None, str(exc))
    body = [p for p in parsed.text_parts if p.origin == "body"]
    text = "\n\n".join(p.text for p in readable_parts(body) if p.text.strip())[:MAX_TEXT]
    has_plain = any(p.content_type == "text/plain" and p.text.strip() for p in body)
    html_parts = [p.text for p in body if p.content_type == "text/html" and p.text.strip()]
    html = None if has_plain or not html_parts else clean_html("\n<hr>\n".join(html_parts))
    return MessageBody(text, html)
