"""What the pipeline says about each item it was given, once that item is committed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["processed", "duplicate", "quarantined", "unreadable"]


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    message_pk: int | None
    label: str
    reason: str | None = None
    verdict: str | None = None
    incidents: tuple[int, ...] = ()
