"""Literal prefilters for regular expressions: which strings a match must contain.

Scanning every line of a report with every vocabulary pattern costs one ``re.search``
per line and pattern. Most patterns name a word ("failed password", "スキャン"): a
line without that word cannot match. ``required_literals`` reads the pattern's syntax
tree (the one ``re`` compiles from) and returns strings of which every match contains
at least one; ``PatternSet`` finds them all in one Aho-Corasick pass, so a pattern is
searched only where it can match. The filter only skips: a pattern whose literals it
cannot be sure of (case-blind matching, nothing required) is searched everywhere.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from re import _constants as _sre_constants  # type: ignore[attr-defined]  # the parser re compiles with
from re import _parser as _sre_parse  # type: ignore[attr-defined]
from typing import Any

import ahocorasick

_LITERAL = _sre_constants.LITERAL
_BRANCH = _sre_constants.BRANCH
_SUBPATTERN = _sre_constants.SUBPATTERN
_REPEATS = tuple(
    getattr(_sre_constants, name)
    for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if hasattr(_sre_constants, name)
)
_ATOMIC = getattr(_sre_constants, "ATOMIC_GROUP", None)
_IGNORECASE = _sre_constants.SRE_FLAG_IGNORECASE

# A required literal shorter than this filters too little to be worth a lookup.
MIN_LITERAL = 2


def _best(options: list[frozenset[str]]) -> frozenset[str] | None:
    """The most selective of several sets, each of which a match must hit."""
    if not options:
        return None
    return max(options, key=lambda s: (min(len(x) for x in s), -len(s)))


def _required(items: Any) -> frozenset[str] | None:
    """Strings of which a match of the parsed sequence ``items`` contains one, or None."""
    options: list[frozenset[str]] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            options.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))
            continue
        close_run()
        found: frozenset[str] | None = None
        if op is _BRANCH:
            union: set[str] = set()
            for alternative in av[1]:
                sub = _required(alternative)
                if sub is None:
                    union.clear()
                    break
                union |= sub
            found = frozenset(union) if union else None
        elif op is _SUBPATTERN:
            _group, add_flags, _del_flags, sub_items = av
            if not add_flags & _IGNORECASE:
                found = _required(sub_items)
        elif op in _REPEATS:
            low, _high, sub_items = av
            if low >= 1:
                found = _required(sub_items)
        elif _ATOMIC is not None and op is _ATOMIC:
            found = _required(av)
        if found:
            options.append(found)
    close_run()
    return _best(options)


def required_literals(pattern: str | re.Pattern[str], flags: int = 0) -> frozenset[str] | None:
    """Strings of which every match of ``pattern`` contains at least one, or None.

    None when the filter cannot be sure: matching is case-blind, a branch can match
    without a literal, or the best literal is shorter than ``MIN_LITERAL``.
    """
    if isinstance(pattern, re.Pattern):
        flags |= pattern.flags
        pattern = pattern.pattern
    parsed = _sre_parse.parse(pattern, flags)
    if (flags | parsed.state.flags) & _IGNORECASE:
        return None
    found = _required(parsed)
    if found is None or min(len(x) for x in found) < MIN_LITERAL:
        return None
    return found


class PatternSet:
    """Which of several patterns may match a text, from their required literals."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        always: set[int] = set()
        owners: dict[str, list[int]] = {}
        for index, pattern in enumerate(patterns):
            literals = required_literals(pattern)
            if literals is None:
                always.add(index)
                continue
            for literal in literals:
                owners.setdefault(literal, []).append(index)
        self.always: frozenset[int] = frozenset(always)
        self._automaton = ahocorasick.Automaton()
        for literal, indices in owners.items():
            self._automaton.add_word(literal, (len(literal), tuple(indices)))
        self._empty = not owners
        if not self._empty:
            self._automaton.make_automaton()

    def candidates(self, text: str) -> set[int]:
        """Indices of the patterns that may match somewhere in ``text``."""
        found = set(self.always)
        if not self._empty:
            for _end, (_length, indices) in self._automaton.iter(text):
                found.update(indices)
        return found

    def candidate_lines(self, lines: Sequence[str]) -> dict[int, list[int]]:
        """For each pattern that is not searched everywhere, the lines it may match on.

        One pass over the lines joined; an occurrence that runs over a line end is not
        one of either line's. Line numbers come in ascending order, each once. The
        patterns in ``always`` are not listed: they may match on any line.
        """
        result: dict[int, list[int]] = {}
        if self._empty or not lines:
            return result
        starts: list[int] = []
        offset = 0
        for line in lines:
            starts.append(offset)
            offset += len(line) + 1
        joined = "\n".join(lines)
        for end, (length, indices) in self._automaton.iter(joined):
            start = end - length + 1
            number = bisect.bisect_right(starts, start) - 1
            if end >= starts[number] + len(lines[number]):
                continue  # crosses into the next line
            for index in indices:
                seen = result.setdefault(index, [])
                if not seen or seen[-1] != number:
                    seen.append(number)
        return result
