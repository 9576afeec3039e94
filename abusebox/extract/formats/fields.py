"""``Key: value`` blocks (ARF feedback reports, X-ARF 0.2 reports), read line by line.

Strict and simple on purpose: no YAML loader, no anchors or tags, just lines. Folded
continuation lines (starting with whitespace) are appended to the previous value.
"""

from __future__ import annotations

import re

_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]{0,63})\s*:\s?(.*)$")
MAX_LINES = 2000


def key_values(text: str) -> list[tuple[str, str]]:
    """The ``(lower-case key, value)`` pairs of a block, in order, repeated keys kept."""
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines()[:MAX_LINES]:
        if not line.strip() or line.strip() in ("---", "..."):
            continue
        if line[0] in " \t" and pairs:
            key, value = pairs[-1]
            pairs[-1] = (key, f"{value} {line.strip()}".strip())
            continue
        match = _KEY.match(line)
        if match:
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            pairs.append((match.group(1).lower(), value))
    return pairs


def first(pairs: list[tuple[str, str]], *keys: str) -> str | None:
    """The first non-empty value of any of ``keys`` (lower-case)."""
    for want in keys:
        for key, value in pairs:
            if key == want and value:
                return value
    return None
