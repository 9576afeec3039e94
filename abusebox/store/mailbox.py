"""The mailbox ledger (which UID under which UIDVALIDITY became which message) and per-source state.

The ledger, never the IMAP `\\Seen` flag, decides what is new: people open messages in
their mail client too. A row is written as soon as the raw bytes are committed; the
move to the processed or quarantine folder is recorded on the same row afterwards, so
a crash between the two leaves a row that the next poll finishes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from abusebox.store.base import utcnow
from abusebox.store.db import dialect_insert
from abusebox.store.schema import MailboxItemRow, MailboxStateRow, MessageRow


@dataclass(frozen=True)
class LedgerEntry:
    uid: int
    message_pk: int
    status: str  # the message's status: new, processed or quarantined
    moved: bool


class CycleFigures(Protocol):
    """What one poll cycle adds to a source's counters (the pipeline's Counts has these)."""

    @property
    def fetched(self) -> int: ...

    @property
    def new(self) -> int: ...

    @property
    def duplicate(self) -> int: ...

    @property
    def quarantined(self) -> int: ...

    @property
    def moved(self) -> int: ...


@dataclass(frozen=True)
class SourceState:
    source: str
    folder: str | None
    uidvalidity: int | None
    fetched: int
    new: int
    duplicates: int
    quarantined: int
    moved: int
    errors: int
    uidvalidity_changes: int
    last_poll_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None


def ledger(
    session: Session, source: str, folder: str, uidvalidity: int, uids: Iterable[int]
) -> dict[int, LedgerEntry]:
    """Ledger entries for the given UIDs (those present on the server now), keyed by UID."""
    wanted = set(uids)
    if not wanted:
        return {}
    # Bounded below by the smallest UID on the server: with moving enabled the folder
    # holds few messages, so this reads a handful of rows, not the whole history.
    query = (
        select(MailboxItemRow.uid, MailboxItemRow.message_pk, MessageRow.status, MailboxItemRow.moved_at)
        .join(MessageRow, MessageRow.id == MailboxItemRow.message_pk)
        .where(
            MailboxItemRow.source == source,
            MailboxItemRow.folder == folder,
            MailboxItemRow.uidvalidity == uidvalidity,
            MailboxItemRow.uid >= min(wanted),
            MailboxItemRow.uid <= max(wanted),
        )
    )
    return {
        row.uid: LedgerEntry(row.uid, row.message_pk, row.status, row.moved_at is not None)
        for row in session.execute(query)
        if row.uid in wanted
    }


def record_items(
    session: Session, source: str, folder: str, uidvalidity: int, stored: list[tuple[int, int]]
) -> None:
    """Write the ledger rows of (UID, message pk) whose raw bytes this transaction stores
    (idempotent): one statement for a fetched batch.

    Already recorded (a concurrent poll or a repeated call): nothing happens.
    """
    if not stored:
        return
    session.execute(
        dialect_insert(session, MailboxItemRow).on_conflict_do_nothing(
            index_elements=["source", "folder", "uidvalidity", "uid"]
        ),
        [
            {"source": source, "folder": folder, "uidvalidity": uidvalidity, "uid": uid, "message_pk": pk}
            for uid, pk in stored
        ],
    )


def record_moves(
    session: Session,
    source: str,
    folder: str,
    uidvalidity: int,
    uids: Iterable[int],
    moved_to: str,
    note: str,
) -> None:
    uid_list = list(uids)
    if not uid_list:
        return
    session.execute(
        update(MailboxItemRow)
        .where(
            MailboxItemRow.source == source,
            MailboxItemRow.folder == folder,
            MailboxItemRow.uidvalidity == uidvalidity,
            MailboxItemRow.uid.in_(uid_list),
        )
        .values(moved_at=utcnow(), moved_to=moved_to, move_note=note)
    )


def _state_row(session: Session, source: str) -> MailboxStateRow:
    """The source's state row, created when missing; two processes creating it at once both get it."""
    row = session.get(MailboxStateRow, source)
    if row is None:
        session.execute(
            dialect_insert(session, MailboxStateRow)
            .values(
                source=source,
                fetched=0,
                new=0,
                duplicates=0,
                quarantined=0,
                moved=0,
                errors=0,
                uidvalidity_changes=0,
            )
            .on_conflict_do_nothing(index_elements=["source"])
        )
        row = session.get(MailboxStateRow, source)
        assert row is not None
    return row


def note_uidvalidity(session: Session, source: str, folder: str, uidvalidity: int) -> int | None:
    """Remember the folder's UIDVALIDITY; return the previous one when it changed, else None."""
    row = _state_row(session, source)
    previous = row.uidvalidity if row.folder == folder else None
    changed = previous is not None and previous != uidvalidity
    if changed:
        row.uidvalidity_changes += 1
    row.folder = folder
    row.uidvalidity = uidvalidity
    return previous if changed else None


def record_cycle(session: Session, source: str, counts: CycleFigures, error: str | None = None) -> None:
    """Add one cycle's counters; a failed cycle counts an error and keeps its message."""
    now = utcnow()
    row = _state_row(session, source)
    row.fetched += counts.fetched
    row.new += counts.new
    row.duplicates += counts.duplicate
    row.quarantined += counts.quarantined
    row.moved += counts.moved
    row.last_poll_at = now
    if error is None:
        row.last_success_at = now
    else:
        row.errors += 1
        row.last_error = f"{now:%Y-%m-%dT%H:%M:%SZ} {error}"[:4000]


def source_states(session: Session) -> list[SourceState]:
    rows = session.scalars(select(MailboxStateRow).order_by(MailboxStateRow.source))
    return [
        SourceState(
            r.source,
            r.folder,
            r.uidvalidity,
            r.fetched,
            r.new,
            r.duplicates,
            r.quarantined,
            r.moved,
            r.errors,
            r.uidvalidity_changes,
            r.last_poll_at,
            r.last_success_at,
            r.last_error,
        )
        for r in rows
    ]
