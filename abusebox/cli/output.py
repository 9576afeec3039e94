"""Human tables and stable JSON for the command line."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

from abusebox.core.safetext import clean, json_text

__all__ = ["clean", "print_json", "table"]


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _width(text: str) -> int:
    """Display width: East Asian wide characters take two columns, combining marks none."""
    return sum(_char_width(ch) for ch in text)


def _clip(text: str, limit: int) -> str:
    """At most ``limit`` columns; a clipped text ends in an ellipsis within the limit."""
    if _width(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        w = _char_width(ch)
        if used + w > limit - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], max_width: int = 48) -> str:
    cells = [[_clip(clean("" if v is None else str(v)), max_width) for v in row] for row in rows]
    widths = [_width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], _width(cell))

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (widths[i] - _width(v)) for i, v in enumerate(values)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def print_json(data: Any) -> None:
    sys.stdout.write(json_text(data, indent=2, sort_keys=False) + "\n")
