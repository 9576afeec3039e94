"""Registry of structured report formats (ARF, X-ARF, Shadowserver, JPCERT/CC ...).

Each format is a small module with a class satisfying ``FormatParser``; it is
registered by name, and a duplicate name is an error. ``parse_known_format`` tries
them in registration order (the import order at the bottom of this file: most
specific first) and returns the first Extraction, or None so that the free-text
extractor runs.
"""

from __future__ import annotations

from typing import Protocol

from abusebox.core.config import LimitSettings
from abusebox.core.models import Extraction, ParsedMessage
from abusebox.extract.formats.context import FormatContext


class FormatParser(Protocol):
    name: str

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        """Return an Extraction when this message is in this format, else None."""
        ...


_REGISTRY: dict[str, FormatParser] = {}

# Dispatch order: formats recognised by sender or structure first, generic attachment
# readers after them, then forwarded-message unwrapping and HTML-only bodies. A parser
# not listed here runs after the listed ones, in registration order.
ORDER: tuple[str, ...] = (
    "arf",
    "spamcop",
    "blocklistde",
    "xarf",
    "fail2ban",
    "jpcert",
    "shadowserver",
    "json",
    "csv",
    "feed",
    "forwarded",
    "html",
)


def register(parser: FormatParser) -> FormatParser:
    if parser.name in _REGISTRY:
        raise ValueError(f"format parser {parser.name!r} registered twice")
    _REGISTRY[parser.name] = parser
    return parser


_ORDERED: list[FormatParser] = []


def registered() -> list[FormatParser]:
    """Parsers in dispatch order (sorted once per registration, not per message)."""
    if len(_ORDERED) != len(_REGISTRY):
        rank = {name: i for i, name in enumerate(ORDER)}
        _ORDERED[:] = sorted(_REGISTRY.values(), key=lambda p: rank.get(p.name, len(ORDER)))
    return list(_ORDERED)


def parse_known_format(
    parsed: ParsedMessage, limits: LimitSettings | None = None, *, ctx: FormatContext | None = None
) -> Extraction | None:
    """The Extraction of the first format that recognises ``parsed``, else None.

    When no format matched but attachments were skipped (an archive over a bound), the
    free-text result is returned with those reasons so that they are not lost.
    """
    ctx = ctx or FormatContext(limits or LimitSettings())
    # Parts the MIME stage skipped over a bound: say so in whatever result we give.
    ctx.reasons.extend(r for r in parsed.skipped if r not in ctx.reasons)
    for parser in registered():
        result = parser.parse(parsed, ctx)
        if result is not None:
            result.reasons[:0] = ctx.reasons
            return result
    if ctx.reasons:
        from abusebox.extract.freeform import extract_freeform

        fallback = extract_freeform(parsed)
        fallback.reasons[:0] = ctx.reasons
        return fallback
    return None


# The format modules register themselves on import.
from abusebox.extract.formats import (  # noqa: E402
    arf,
    blocklistde,
    csvfeed,
    fail2ban,
    feeds,
    forwarded,
    htmlbody,
    jpcert,
    jsonfeed,
    shadowserver,
    spamcop,
    xarf,
)

__all__ = [
    "FormatContext",
    "FormatParser",
    "arf",
    "blocklistde",
    "csvfeed",
    "fail2ban",
    "feeds",
    "forwarded",
    "htmlbody",
    "jpcert",
    "jsonfeed",
    "parse_known_format",
    "register",
    "registered",
    "shadowserver",
    "spamcop",
    "xarf",
]
