"""Text views and small parsers the triage rules share (bounded, never raising)."""

from __future__ import annotations

import functools
import re
import unicodedata

from abusebox.core.models import ParsedMessage
from abusebox.parsing.addresses import parse_address

MAX_TEXT = 200_000  # characters any rule looks at; keeps every regex pass bounded

# Where forwarded or quoted material starts: what follows is someone else's words.
_FORWARD_MARKERS = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|forwarded message|begin forwarded message|"
    r"元のメッセージ|転送されたメッセージ|転送メッセージ)\s*-{2,}|"
    r"begin forwarded message:|\[\s*offending message\s*\]|"
    r"-{3,}\s*(?:転送|original)|"
    r"on .{0,120} wrote:$|.{0,80}さんは書きました[:：]?$|.{0,80}wrote:$)",
    re.IGNORECASE | re.MULTILINE,
)
URL_PATTERN = re.compile(r"(?:https?|hxxps?)://[^\s<>\"'()\[\]]{1,300}", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]{0,2000}>")
_HREF = re.compile(r"<a\s[^>]{0,500}?href\s?=\s?[\"']?([^\"'\s>]{1,300})[^>]{0,500}>", re.IGNORECASE)


def normalise(text: str) -> str:
    """NFKC (full-width to ASCII, half-width kana to full) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def html_to_text(html: str) -> str:
    """Text of the markup; a link keeps its target next to its words ("本人確認はこちら"
    says nothing of where it leads, and the lure rules need the live link)."""
    return re.sub(r"\s+", " ", _TAGS.sub(" ", _HREF.sub(r" \1 ", html)))


def _strip_quoted(text: str) -> str:
    match = _FORWARD_MARKERS.search(text)
    if match:
        text = text[: match.start()]
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


def own_text(parsed: ParsedMessage) -> str:
    """Subject plus the body parts, without quoted lines and forwarded material."""
    chunks = [parsed.subject]
    size = 0
    for part in parsed.text_parts:
        if part.origin != "body":
            continue
        text = part.text[:MAX_TEXT]
        if part.content_type == "text/html":
            if any(p.origin == "body" and p.content_type == "text/plain" for p in parsed.text_parts):
                continue  # the plain alternative says the same
            text = html_to_text(text)
        chunks.append(_strip_quoted(text))
        size += len(text)
        if size > MAX_TEXT:
            break
    return normalise("\n".join(chunks))[:MAX_TEXT]


def all_text(parsed: ParsedMessage) -> str:
    chunks = [parsed.subject]
    size = 0
    for part in parsed.text_parts:
        chunks.append(part.text[:MAX_TEXT])
        size += len(chunks[-1])
        if size > MAX_TEXT:
            break
    return normalise("\n".join(chunks))[:MAX_TEXT]


def urls(text: str) -> list[str]:
    return URL_PATTERN.findall(text)


def url_host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    host = re.split(r"[/?#:]", rest, maxsplit=1)[0]
    return host.rsplit("@", 1)[-1].lower()


def sender_domain(addr: str | None) -> str | None:
    if not addr or "@" not in addr:
        return None
    return addr.rsplit("@", 1)[1].strip().strip(">").lower() or None


def display_name(parsed: ParsedMessage) -> str:
    if not parsed.from_header:
        return ""
    name, _addr = parse_address(parsed.from_header)
    return name.strip()


def domain_matches(domain: str, suffix: str) -> bool:
    """True when ``domain`` is ``suffix`` or a subdomain of it."""
    domain, suffix = domain.lower().rstrip("."), suffix.lower().lstrip("@").rstrip(".")
    return domain == suffix or domain.endswith("." + suffix)


@functools.lru_cache(maxsize=256)
def _term_pattern(term: str) -> re.Pattern[str] | None:
    """ASCII terms match whole words ("fx" not in "firefox"); Japanese ones as substrings."""
    if not term.isascii():
        return None
    left = r"\b" if term[0].isalnum() else ""
    right = r"\b" if term[-1].isalnum() else ""
    return re.compile(left + re.escape(term) + right)


def count_terms(text: str, terms: tuple[str, ...]) -> list[str]:
    """Which of the (already normalised) terms occur in the normalised text."""
    found = []
    for term in terms:
        pattern = _term_pattern(term)
        if pattern.search(text) if pattern is not None else term in text:
            found.append(term)
    return found


def header_lower(parsed: ParsedMessage, name: str) -> str:
    return (parsed.header(name) or "").strip().lower()
