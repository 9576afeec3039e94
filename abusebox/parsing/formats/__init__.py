"""Registry of structured report formats (ARF, X-ARF, Shadowserver, JPCERT/CC ...).

Each format is a small module with a class satisfying ``FormatParser``; it is
registered by name, and a duplicate name is an error. ``parse_known_format`` tries
them in registration order (the import order at the bottom of this file: most
specific first) and returns the first Extraction, or None so that the free-text
extractor runs.
"""

from __future__ import annotations

from typing import Protocol

from abusebox.config import LimitSettings
from abusebox.models import Extraction, ParsedMessage
from abusebox.parsing.formats.context import FormatContext


class FormatParser(Protocol):
    name: str

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        """Return an Extraction when this message is in this format, else None."""
        ...


_REGISTRY: dict[str, FormatParser] = {}


def register(parser: FormatParser) -> FormatParser:
    if parser.name in _REGISTRY:
        raise ValueError(f"format parser {parser.name!r} registered twice")
    _REGISTRY[parser.name] = parser
    return parser


def registered() -> list[FormatParser]:
    return list(_REGISTRY.values())


def parse_known_format(
    parsed: ParsedMessage, limits: LimitSettings | None = None, *, ctx: FormatContext | None = None
) -> Extraction | None:
    """The Extraction of the first format that recognises ``parsed``, else None.

    When no format matched but attachments were skipped (an archive over a bound), the
    free-text result is returned with those reasons so that they are not lost.
    """
    ctx = ctx or FormatContext(limits or LimitSettings())
    for parser in _REGISTRY.values():
        result = parser.parse(parsed, ctx)
        if result is not None:
            result.reasons[:0] = ctx.reasons
            return result
    if ctx.reasons:
        from abusebox.extract.freeform import extract_freeform  # noqa: PLC0415 - import cycle

        fallback = extract_freeform(parsed)
        fallback.reasons[:0] = ctx.reasons
        return fallback
    return None


# Registration order is dispatch order.
from abusebox.parsing.formats import shadowserver  # noqa: E402

__all__ = ["FormatContext", "FormatParser", "parse_known_format", "register", "registered", "shadowserver"]
