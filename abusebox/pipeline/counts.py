"""What ingest did, message by message and in total: the figures `ingest` and `poll` print.

One tally of outcomes (new, duplicate, quarantined, unreadable) serves both commands:
`IngestCounts` adds what a local ingest reads, `PollCounts` what one poll cycle fetched and
moved, and the figures `status` keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from abusebox.store.mailbox import CycleCounts

Outcome = Literal["processed", "duplicate", "quarantined", "unreadable"]


@dataclass(frozen=True)
class IngestResult:
    """What became of one raw message."""

    outcome: Outcome
    message_pk: int | None
    label: str
    reason: str | None = None
    verdict: str | None = None
    incidents: tuple[int, ...] = ()


@dataclass
class OutcomeCounts:
    """The outcomes of a run of messages."""

    new: int = 0  # stored for the first time (processed or quarantined)
    duplicate: int = 0  # bytes already known (sha256)
    quarantined: int = 0  # of the new ones
    unreadable: int = 0  # items a local source could not read

    def add(self, result: IngestResult) -> None:
        if result.outcome == "duplicate":
            self.duplicate += 1
        elif result.outcome == "unreadable":
            self.unreadable += 1
        else:
            self.new += 1
            if result.outcome == "quarantined":
                self.quarantined += 1


@dataclass
class IngestCounts(OutcomeCounts):
    """A local ingest: what was read, and one line per unreadable item."""

    read: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, result: IngestResult) -> None:
        super().add(result)
        if result.outcome == "unreadable":
            self.errors.append(f"{result.label}: {result.reason}")
        else:
            self.read += 1

    def summary(self) -> str:
        text = f"read {self.read}, new {self.new}, duplicate {self.duplicate}, quarantined {self.quarantined}"
        if self.unreadable:
            text += f", unreadable {self.unreadable}"
        return text


@dataclass
class PollCounts(OutcomeCounts):
    """One poll cycle of one source."""

    fetched: int = 0  # messages read from the source in this cycle
    moved: int = 0  # moved (or copied) to the processed/quarantine folder
    unfetchable: list[int] = field(default_factory=list)  # IMAP UIDs the server failed to deliver

    def merge(self, other: PollCounts) -> None:
        self.fetched += other.fetched
        self.new += other.new
        self.duplicate += other.duplicate
        self.quarantined += other.quarantined
        self.moved += other.moved
        self.unreadable += other.unreadable
        self.unfetchable.extend(other.unfetchable)

    @classmethod
    def from_ingest(cls, counts: IngestCounts) -> PollCounts:
        return cls(
            fetched=counts.read + counts.unreadable,
            new=counts.new,
            duplicate=counts.duplicate,
            quarantined=counts.quarantined,
            unreadable=counts.unreadable,
        )

    def cycle(self) -> CycleCounts:
        return CycleCounts(self.fetched, self.new, self.duplicate, self.quarantined, self.moved)

    def problem(self) -> str | None:
        """What went wrong in a cycle that otherwise completed (kept as the source's last error)."""
        if not self.unfetchable:
            return None
        shown = ", ".join(str(uid) for uid in self.unfetchable[:10])
        more = f" and {len(self.unfetchable) - 10} more" if len(self.unfetchable) > 10 else ""
        return f"the server failed to deliver UID {shown}{more}; left on the server"

    def summary(self) -> str:
        return (
            f"fetched {self.fetched}, new {self.new}, duplicate {self.duplicate}, "
            f"quarantined {self.quarantined}, moved {self.moved}"
        )
