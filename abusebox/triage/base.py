"""The triage rule interface: a named check that returns a scored, explained hit.

A rule looks at one message (the ``TriageContext``) and either stays silent (None)
or returns a ``RuleHit``: a score (positive = towards junk, negative = towards
report), a reason a handler can read, and for junk-ward hits which kind of junk it
points to. Rules are registered by name; a duplicate name is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal, Protocol

from abusebox.core.config import TriageSettings
from abusebox.core.models import Extraction, ParsedMessage, PgpResult

if TYPE_CHECKING:
    from abusebox.triage.signals import LearnedSignals

Hint = Literal["spam", "non_incident", "fraud", "automated"]
HINTS: tuple[str, ...] = ("spam", "non_incident", "fraud", "automated")


@dataclass(frozen=True)
class RuleHit:
    score: float
    reason: str
    verdict_hint: Hint | None = None  # which junk verdict a positive score points to

    def __post_init__(self) -> None:
        if self.verdict_hint is not None and self.verdict_hint not in HINTS:
            raise ValueError(f"unknown verdict hint {self.verdict_hint!r}")


@dataclass
class TriageContext:
    """Everything a rule may look at; text views are computed once and shared."""

    parsed: ParsedMessage
    pgp: PgpResult
    extraction: Extraction
    settings: TriageSettings
    learned: LearnedSignals | None = None

    @cached_property
    def own_text(self) -> str:
        """The sender's own words: body parts without quoted or forwarded material."""
        from abusebox.triage.text import own_text

        return own_text(self.parsed)

    @property
    def sources(self) -> int:
        return sum(1 for o in self.extraction.observations if o.role == "source")

    @property
    def timed_sources(self) -> int:
        return sum(1 for o in self.extraction.observations if o.role == "source" and o.time is not None)

    @property
    def has_evidence(self) -> bool:
        """A parsed structured format, or addresses with times: what a real report carries."""
        return self.extraction.format != "freeform" or self.timed_sources > 0


class TriageRule(Protocol):
    name: str
    description: str

    def check(self, ctx: TriageContext) -> RuleHit | None:
        """Return a hit when this rule has something to say about the message."""
        ...


_REGISTRY: dict[str, TriageRule] = {}


def register(rule: TriageRule) -> TriageRule:
    if rule.name in _REGISTRY:
        raise ValueError(f"triage rule {rule.name!r} registered twice")
    _REGISTRY[rule.name] = rule
    return rule


def registered() -> dict[str, TriageRule]:
    """All rules by name, in registration order."""
    return dict(_REGISTRY)
