"""What ingest did, message by message and in total: the figures `ingest` and `poll` print.

One counter for both commands and for the figures `status` keeps: ``ingest_summary``
is the line `abusebox ingest` prints, ``poll_summary`` the one `abusebox poll` prints
(and the mailbox state adds up).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["processed", "duplicate", "quarantined", "unreadable", "stored"]  # stored: left for workers


@dataclass(frozen=True)
class IngestResult:
    """What became of one raw message, once it is committed."""

    outcome: Outcome
    message_pk: int | None
    label: str
    reason: str | None = None
    verdict: str | None = None
    incidents: tuple[int, ...] = ()


@dataclass
class Counts:
    """The outcomes of a run of messages, and for a poll cycle what the source gave."""

    fetched: int = 0  # items taken from a source in a poll cycle (IMAP: fetched; local: read + unreadable)
    read: int = 0  # items that were mail (stored or recognised as duplicates)
    new: int = 0  # stored for the first time (processed or quarantined)
    duplicate: int = 0  # bytes already known (sha256)
    quarantined: int = 0  # of the new ones
    unreadable: int = 0  # items a local source could not read
    moved: int = 0  # moved (or copied) to the processed/quarantine folder
    errors: list[str] = field(default_factory=list)  # what the unreadable items were and why
    unfetchable: list[int] = field(default_factory=list)  # IMAP UIDs the server failed to deliver

    def add(self, result: IngestResult) -> None:
        if result.outcome == "unreadable":
            self.unreadable += 1
            self.errors.append(f"{result.label}: {result.reason}")
            return
        self.read += 1
        if result.outcome == "duplicate":
            self.duplicate += 1
            return
        self.new += 1
        if result.outcome == "quarantined":
            self.quarantined += 1

    def merge(self, other: Counts) -> None:
        self.fetched += other.fetched
        self.read += other.read
        self.new += other.new
        self.duplicate += other.duplicate
        self.quarantined += other.quarantined
        self.unreadable += other.unreadable
        self.moved += other.moved
        self.errors.extend(other.errors)
        self.unfetchable.extend(other.unfetchable)

    def problem(self) -> str | None:
        """What went wrong in a cycle that otherwise completed (kept as the source's last error)."""
        if not self.unfetchable:
            return None
        shown = ", ".join(str(uid) for uid in self.unfetchable[:10])
        more = f" and {len(self.unfetchable) - 10} more" if len(self.unfetchable) > 10 else ""
        return f"the server failed to deliver UID {shown}{more}; left on the server"

    def ingest_summary(self) -> str:
        text = f"read {self.read}, new {self.new}, duplicate {self.duplicate}, quarantined {self.quarantined}"
        if self.unreadable:
            text += f", unreadable {self.unreadable}"
        return text

    def poll_summary(self) -> str:
        return (
            f"fetched {self.fetched}, new {self.new}, duplicate {self.duplicate}, "
            f"quarantined {self.quarantined}, moved {self.moved}"
        )
