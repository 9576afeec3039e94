"""What one poll cycle of one source did: the figures `abusebox poll` prints and status keeps."""

from __future__ import annotations

from dataclasses import dataclass, field

from abusebox.pipeline.ingest import IngestCounts, IngestResult
from abusebox.store.mailbox import CycleCounts


@dataclass
class PollCounts:
    fetched: int = 0  # messages read from the source in this cycle
    new: int = 0  # stored for the first time (processed or quarantined)
    duplicate: int = 0  # bytes already known (sha256)
    quarantined: int = 0  # of the new ones
    moved: int = 0  # moved (or copied) to the processed/quarantine folder
    unreadable: int = 0  # items a local source could not read
    unfetchable: list[int] = field(default_factory=list)  # IMAP UIDs the server failed to deliver

    def add(self, result: IngestResult) -> None:
        if result.outcome == "duplicate":
            self.duplicate += 1
        elif result.outcome == "unreadable":
            self.unreadable += 1
        else:
            self.new += 1
            if result.outcome == "quarantined":
                self.quarantined += 1

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
