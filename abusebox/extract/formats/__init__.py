"""Registry of structured report formats (ARF, X-ARF, Shadowserver, JPCERT/CC ...).

Each format is a small module with a class satisfying ``FormatParser``, registered with
``@register(order=N)`` on the class: the dispatch order is declared where the parser is,
and a duplicate name or order is an error at import. ``parse_known_format`` tries them
by ascending order (formats recognised by sender or structure first, generic attachment
readers after them, then forwarded-message unwrapping and HTML-only bodies) and returns
the first Extraction, or None so that the free-text extractor runs. A parser that raises
is recorded as a reason naming it, with the traceback, and the next parser runs.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Protocol, TypeVar

from abusebox.core.config import LimitSettings
from abusebox.core.errors import LimitExceeded
from abusebox.core.models import Extraction, ParsedMessage
from abusebox.core.reasons import Reason
from abusebox.extract.formats.context import FormatContext
from abusebox.extract.freeform import extract_freeform

log = logging.getLogger(__name__)


class FormatParser(Protocol):
    """One report format, known by ``name`` (the Extraction's ``format``)."""

    name: str

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        """Return an Extraction when this message is in this format, else None."""
        ...


ParserClass = TypeVar("ParserClass", bound=type[FormatParser])

_BY_NAME: dict[str, FormatParser] = {}
_BY_ORDER: dict[int, str] = {}
_ORDERED: list[FormatParser] = []  # sorted once per registration, not per message


def register(*, order: int) -> Callable[[ParserClass], ParserClass]:
    """Class decorator: register one instance of the parser class at dispatch ``order``."""

    def add(cls: ParserClass) -> ParserClass:
        parser = cls()
        if parser.name in _BY_NAME:
            raise ValueError(f"format parser {parser.name!r} registered twice")
        if order in _BY_ORDER:
            taken = _BY_ORDER[order]
            raise ValueError(f"format parsers {taken!r} and {parser.name!r} both have order {order}")
        _BY_NAME[parser.name] = parser
        _BY_ORDER[order] = parser.name
        _ORDERED[:] = [_BY_NAME[name] for _order, name in sorted(_BY_ORDER.items())]
        return cls

    return add


def registered() -> list[FormatParser]:
    """Parsers in dispatch order."""
    return list(_ORDERED)


def parser_failed(name: str, exc: Exception) -> Reason:
    """The extraction reason recorded when format parser ``name`` raised ``exc``: it names
    the parser and carries the traceback, so that the message's record shows the bug."""
    trace = "".join(traceback.format_exception(exc)).rstrip()
    text = f"format parser {name!r} failed ({type(exc).__name__}: {exc}); the next parser ran"
    return Reason("extract", name, None, text, detail=trace)


def _try(parser: FormatParser, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
    """``parser.parse``, with a failure recorded in ``ctx.reasons`` as a decline."""
    try:
        return parser.parse(parsed, ctx)
    except (LimitExceeded, RecursionError, MemoryError):
        raise  # bounds of the whole message, not one parser's bug: the extract stage decides
    except Exception as exc:  # one parser's bug must not cost the message the other readers
        log.warning("format parser %s failed", parser.name, exc_info=exc)
        ctx.reasons.append(parser_failed(parser.name, exc))
        return None


def parse_known_format(
    parsed: ParsedMessage, limits: LimitSettings | None = None, *, ctx: FormatContext | None = None
) -> Extraction | None:
    """The Extraction of the first format that recognises ``parsed``, else None.

    When no format matched but there are reasons to keep (attachments skipped over a
    bound, a parser that failed), the free-text result is returned with those reasons.
    """
    ctx = ctx or FormatContext(limits or LimitSettings())
    # Parts the MIME stage skipped over a bound: say so in whatever result we give.
    ctx.reasons.extend(r for r in parsed.skipped if r not in ctx.reasons)
    for parser in registered():
        result = _try(parser, parsed, ctx)
        if result is not None:
            result.reasons[:0] = ctx.reasons
            return result
    if ctx.reasons:
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
    iodef,
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
    "iodef",
    "jpcert",
    "jsonfeed",
    "parse_known_format",
    "parser_failed",
    "register",
    "registered",
    "shadowserver",
    "spamcop",
    "xarf",
]
