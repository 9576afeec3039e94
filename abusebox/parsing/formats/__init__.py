"""Registry of structured report formats (ARF, X-ARF, Shadowserver, JPCERT/CC ...).

Each format is a small module with a class satisfying ``FormatParser``; it is
registered by name, and a duplicate name is an error. ``parse_known_format`` tries
them in registration order and returns the first Extraction, or None so that the
free-text extractor runs.
"""

from __future__ import annotations

from typing import Protocol

from abusebox.models import Extraction, ParsedMessage


class FormatParser(Protocol):
    name: str

    def parse(self, parsed: ParsedMessage) -> Extraction | None:
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


def parse_known_format(parsed: ParsedMessage) -> Extraction | None:
    for parser in _REGISTRY.values():
        result = parser.parse(parsed)
        if result is not None:
            return result
    return None
