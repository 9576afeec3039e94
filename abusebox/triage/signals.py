"""The learned-signals snapshot handed to triage (kept free of database imports).

It crosses into the analysis processes, so it stays a small picklable dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from abusebox.triage.classifier import NaiveBayes, tokens
from abusebox.triage.text import sender_domain


@dataclass(frozen=True)
class LearnedSignals:
    """A snapshot of the desk's decisions, as triage rules consume it."""

    senders: dict[str, dict[str, int]] = field(default_factory=dict)  # address -> verdict -> n
    fingerprints: dict[str, dict[str, int]] = field(default_factory=dict)  # key -> verdict -> n
    classifier: NaiveBayes | None = None
    examples: int = 0
    stamp: tuple[int, int] = (0, 0)  # (newest decision event id, decisions): the version


def document_tokens(text: str, from_addr: str | None) -> set[str]:
    """The classifier's view of a message: its own text plus the sender's domain."""
    toks = tokens(text)
    domain = sender_domain(from_addr)
    if domain:
        toks.add(f"from:{domain}")
    return toks
