"""Text views and small parsers the triage rules share (bounded, never raising)."""

from __future__ import annotations

import re
import threading
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


class _Lexicon:
    """Every vocabulary count_terms is asked for, in one Aho-Corasick automaton.

    The rules ask for a dozen vocabularies about the same text (the sender's own words):
    it is read once for all of them, and the terms found in it are kept for the next
    question about it. Same result as a search per term: an ASCII term matches as a whole
    word where it starts or ends with a letter or digit (``\\b`` there: "fx" not in
    "firefox"); every other term, Japanese included, matches as a substring.
    """

    MAX_VOCABULARIES = 64  # rules name a fixed few; a caller making new ones starts it afresh

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._vocabularies: set[tuple[str, ...]] = set()
        self._automaton = ahocorasick.Automaton()
        self._last: tuple[str, frozenset[str]] | None = None

    def present(self, text: str, terms: tuple[str, ...]) -> frozenset[str]:
        """The terms of every vocabulary known so far (``terms`` among them) in ``text``."""
        with self._lock:
            if terms not in self._vocabularies:
                self._learn(terms)
            last = self._last
            if last is not None and (last[0] is text or last[0] == text):
                return last[1]
            found = self._read(text)
            self._last = (text, found)
            return found

    def _learn(self, terms: tuple[str, ...]) -> None:
        if not all(terms):
            raise ValueError("an empty vocabulary term")
        if len(self._vocabularies) >= self.MAX_VOCABULARIES:
            self._vocabularies.clear()
        self._vocabularies.add(terms)
        automaton = ahocorasick.Automaton()
        for term in dict.fromkeys(t for vocabulary in self._vocabularies for t in vocabulary):
            bounded = term.isascii()
            left = bounded and term[0].isalnum()
            right = bounded and term[-1].isalnum()
            automaton.add_word(term, (term, len(term), left, right))
        automaton.make_automaton()
        self._automaton = automaton
        self._last = None  # read with fewer terms

    def _read(self, text: str) -> frozenset[str]:
        hits: set[str] = set()
        last = len(text) - 1
        word = _WORD_CHAR.match
        for end, (term, length, left, right) in self._automaton.iter(text):
            if term in hits:
                continue
            start = end - length + 1
            if left and start > 0 and word(text[start - 1]):
                continue
            if right and end < last and word(text[end + 1]):
                continue
            hits.add(term)
        return frozenset(hits)


_LEXICON = _Lexicon()


def count_terms(text: str, terms: tuple[str, ...]) -> list[str]:
    """Which of the (already normalised) terms occur in the normalised text."""
    if not terms or not text:
        return []
    present = _LEXICON.present(text, terms)
    return [term for term in terms if term in present]


def header_lower(parsed: ParsedMessage, name: str) -> str:
    return (parsed.header(name) or "").strip().lower()
