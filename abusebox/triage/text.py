"""Text views and small parsers the triage rules share (bounded, never raising)."""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from abusebox.core.models import ParsedMessage
from abusebox.parsing.addresses import parse_address
from abusebox.parsing.text import normalise, own_words, readable_parts

MAX_TEXT = 200_000  # characters any rule looks at; keeps every regex pass bounded

URL_PATTERN = re.compile(r"(?:https?|hxxps?)://[^\s<>\"'()\[\]]{1,300}", re.IGNORECASE)


def own_text(parsed: ParsedMessage) -> str:
    """Subject plus the body parts, without quoted lines and forwarded material, normalised."""
    chunks = [parsed.subject]
    size = 0
    body = [replace(p, text=p.text[:MAX_TEXT]) for p in parsed.text_parts if p.origin == "body"]
    for part in readable_parts(body, links=True):
        chunks.append(own_words(part.text))
        size += len(part.text)
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
