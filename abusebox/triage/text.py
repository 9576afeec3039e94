"""Text views and small parsers the triage rules share (bounded, never raising)."""

from __future__ import annotations

import functools
import re
from dataclasses import replace

import ahocorasick

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


_WORD_CHAR = re.compile(r"\w")


class _Vocabulary:
    """One Aho-Corasick automaton for a tuple of terms: the text is read once, not once per term.

    Same result as a search per term: an ASCII term matches as a whole word where it
    starts or ends with a letter or digit (``\\b`` there: "fx" not in "firefox"); every
    other term, Japanese included, matches as a substring.
    """

    def __init__(self, terms: tuple[str, ...]) -> None:
        self.terms = terms
        self.automaton = ahocorasick.Automaton()
        for term in dict.fromkeys(terms):
            if not term:
                raise ValueError("an empty vocabulary term")
            bounded = term.isascii()
            left = bounded and term[0].isalnum()
            right = bounded and term[-1].isalnum()
            self.automaton.add_word(term, (term, len(term), left, right))
        self.automaton.make_automaton()
        self.size = len(set(terms))

    def found(self, text: str) -> list[str]:
        hits: set[str] = set()
        last = len(text) - 1
        word = _WORD_CHAR.match
        for end, (term, length, left, right) in self.automaton.iter(text):
            if term in hits:
                continue
            start = end - length + 1
            if left and start > 0 and word(text[start - 1]):
                continue
            if right and end < last and word(text[end + 1]):
                continue
            hits.add(term)
            if len(hits) == self.size:
                break
        return [term for term in self.terms if term in hits]


@functools.lru_cache(maxsize=64)
def _vocabulary(terms: tuple[str, ...]) -> _Vocabulary:
    return _Vocabulary(terms)


def count_terms(text: str, terms: tuple[str, ...]) -> list[str]:
    """Which of the (already normalised) terms occur in the normalised text."""
    if not terms or not text:
        return []
    return _vocabulary(terms).found(text)


def header_lower(parsed: ParsedMessage, name: str) -> str:
    return (parsed.header(name) or "").strip().lower()
