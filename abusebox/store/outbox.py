"""The outbox table: every outgoing mail, its status and its delivery bookkeeping.

A delivery is claimed (``sending_at`` set, ``attempts`` counted) and committed before
the SMTP conversation, and finished in a second transaction after it. A claim found
still open after the lease is an interrupted delivery (a crash between the claim and
the status update): it may be sent once more with the same Message-ID, never twice more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from abusebox.core.choices import OUTBOX_KINDS, OUTBOX_STATUSES
from abusebox.store.schema import DigestMarkRow, OutboxRow

KINDS = OUTBOX_KINDS
STATUSES = OUTBOX_STATUSES


@dataclass(frozen=True)
class NewMail:
    """A composed mail to store: ``raw`` is exactly what goes over SMTP."""

    kind: str
    status: str
    recipients: list[str]
    envelope_from: str
    subject: str
    body: str
    raw: bytes
    message_id: str
    created_by: str
    language: str | None = None
    rule: str | None = None
    cap_key: str | None = None
    answers_message_pk: int | None = None
    incidents: tuple[int, ...] = ()
    reports: tuple[int, ...] = ()
    error: str | None = None  # why a mail that could not be made is `failed` (no bytes to send)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown outbox kind {self.kind!r}")
        if self.status == "failed" and (self.raw or not self.error):
            raise ValueError("a new failed mail has an error and nothing to send")
        if self.status not in ("draft", "approved", "failed"):
            raise ValueError(f"a new mail is draft or approved, not {self.status!r}")


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    status: str
    to: list[str]
    subject: str
    message_id: str
    attempts: int
    last_error: str | None
    incidents: list[int]
    reports: list[int]
    created_at: datetime
    sent_at: datetime | None
    created_by: str
    approved_by: str | None
    rule: str | None
    language: str | None
    body: str


@dataclass(frozen=True)
class Claimed:
    """A delivery in flight: what to send, and how many attempts it has had."""

    id: int
    envelope_from: str
    recipients: list[str]
    raw: bytes
    attempts: int
    interrupted: int
    kind: str
    incidents: list[int]


def add(session: Session, mail: NewMail, now: datetime) -> int:
    row = OutboxRow(
        kind=mail.kind,
        status=mail.status,
        recipients=list(mail.recipients),
        envelope_from=mail.envelope_from,
        subject=mail.subject,
        body=mail.body,
        raw=mail.raw,
        message_id=mail.message_id,
        language=mail.language,
        rule=mail.rule,
        cap_key=mail.cap_key,
        answers_message_pk=mail.answers_message_pk,
        incidents=list(mail.incidents),
        reports=list(mail.reports),
        created_by=mail.created_by,
        approved_by=mail.created_by if mail.status == "approved" else None,
        approved_at=now if mail.status == "approved" else None,
        created_at=now,
        next_attempt_at=now,
        last_error=mail.error,
    )
    session.add(row)
    session.flush()
    return row.id


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        kind=row.kind,
        status=row.status,
        to=list(row.recipients),
        subject=row.subject,
        message_id=row.message_id,
        attempts=row.attempts,
        last_error=row.last_error,
        incidents=[int(i) for i in row.incidents],
        reports=[int(r) for r in row.reports],
        created_at=row.created_at,
        sent_at=row.sent_at,
        created_by=row.created_by,
        approved_by=row.approved_by,
        rule=row.rule,
        language=row.language,
        body=row.body,
    )


def list_items(
    session: Session, *, status: str | None = None, kind: str | None = None, limit: int = 500
) -> list[OutboxItem]:
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxRow.status == status)
    if kind:
        query = query.where(OutboxRow.kind == kind)
    return [_item(row) for row in session.scalars(query)]


def get_many(session: Session, pks: list[int]) -> list[OutboxItem]:
    """The rows among ``pks`` that exist, newest first."""
    if not pks:
        return []
    query = select(OutboxRow).where(OutboxRow.id.in_(sorted(set(pks)))).order_by(OutboxRow.id.desc())
    return [_item(row) for row in session.scalars(query)]


def count_status(session: Session, status: str) -> int:
    return int(
        session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.status == status)) or 0
    )


def get(session: Session, pk: int) -> OutboxItem | None:
    row = session.get(OutboxRow, pk)
    return _item(row) if row is not None else None


def raw_of(session: Session, pk: int) -> bytes | None:
    return session.scalar(select(OutboxRow.raw).where(OutboxRow.id == pk))


def set_status(
    session: Session, pk: int, allowed_from: tuple[str, ...], to: str, actor: str, now: datetime
) -> bool:
    """Move one row from one of ``allowed_from`` to ``to``; False when it was not in those."""
    values: dict[str, Any] = {"status": to}
    if to == "approved":
        values.update(approved_by=actor, approved_at=now, next_attempt_at=now, attempts=0, interrupted=0)
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == pk, OutboxRow.status.in_(allowed_from))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def due_ids(session: Session, now: datetime, lease: timedelta, limit: int = 100) -> list[int]:
    """Approved rows whose next attempt is due and that no live delivery holds."""
    query = (
        select(OutboxRow.id)
        .where(
            OutboxRow.status == "approved",
            OutboxRow.next_attempt_at <= now,
            or_(OutboxRow.sending_at.is_(None), OutboxRow.sending_at <= now - lease),
        )
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim(session: Session, pk: int, now: datetime, lease: timedelta) -> Claimed | None:
    """Mark a delivery in flight (one UPDATE, so two senders cannot both claim it)."""
    result = session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id == pk,
            OutboxRow.status == "approved",
            or_(OutboxRow.sending_at.is_(None), OutboxRow.sending_at <= now - lease),
        )
        .values(
            sending_at=now,
            attempts=OutboxRow.attempts + 1,
            interrupted=OutboxRow.interrupted + case((OutboxRow.sending_at.is_(None), 0), else_=1),
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    row = session.execute(
        select(
            OutboxRow.envelope_from,
            OutboxRow.recipients,
            OutboxRow.raw,
            OutboxRow.attempts,
            OutboxRow.interrupted,
            OutboxRow.kind,
            OutboxRow.incidents,
        ).where(OutboxRow.id == pk)
    ).one()
    return Claimed(pk, row[0], list(row[1]), row[2], row[3], row[4], row[5], [int(i) for i in row[6]])


def finish(
    session: Session,
    pk: int,
    status: str,
    *,
    error: str | None,
    sent_at: datetime | None = None,
    next_attempt_at: datetime | None = None,
) -> None:
    """Close a delivery: `sent`, `failed`, or still `approved` with a later next attempt."""
    values: dict[str, Any] = {"status": status, "sending_at": None, "last_error": error}
    if sent_at is not None:
        values["sent_at"] = sent_at
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == pk)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def count_since(session: Session, kind: str, since: datetime, cap_key: str | None = None) -> int:
    """How many mails of ``kind`` (for ``cap_key``) were created since ``since``: the rate caps."""
    query = select(func.count(OutboxRow.id)).where(OutboxRow.kind == kind, OutboxRow.created_at >= since)
    if cap_key is not None:
        query = query.where(OutboxRow.cap_key == cap_key)
    return int(session.scalar(query) or 0)


def answered(session: Session, message_pks: list[int], kind: str = "ack") -> set[int]:
    """Messages that already have a mail of ``kind`` answering them (a replay never acks twice)."""
    if not message_pks:
        return set()
    query = select(OutboxRow.answers_message_pk).where(
        OutboxRow.kind == kind, OutboxRow.answers_message_pk.in_(message_pks)
    )
    return {pk for pk in session.scalars(query) if pk is not None}


def by_message_ids(session: Session, message_ids: list[str]) -> dict[str, list[int]]:
    """Message-ID -> incident pks, for those of these Message-IDs that are our mails."""
    if not message_ids:
        return {}
    out: dict[str, list[int]] = {}
    unique = list(dict.fromkeys(message_ids))
    for start in range(0, len(unique), 500):
        rows = session.execute(
            select(OutboxRow.message_id, OutboxRow.incidents).where(
                OutboxRow.message_id.in_(unique[start : start + 500])
            )
        )
        for message_id, incidents in rows:
            out[message_id] = [int(i) for i in incidents]
    return out


def by_message_id(session: Session, message_id: str) -> OutboxItem | None:
    row = session.scalars(select(OutboxRow).where(OutboxRow.message_id == message_id)).first()
    return _item(row) if row is not None else None


def record_bounce(session: Session, pk: int, error: str, *, failed: bool) -> bool:
    """A DSN about a sent row: ``last_error`` says what it reported; ``failed`` when permanent.

    Only rows already sent (or failed) change: a DSN cannot touch a draft or a queued mail.
    """
    values: dict[str, Any] = {"last_error": error}
    if failed:
        values["status"] = "failed"
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == pk, OutboxRow.status.in_(("sent", "failed")))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def marked(session: Session, recipient: str, observation_pks: list[int]) -> set[int]:
    """Observations already included in a digest to ``recipient``."""
    if not observation_pks:
        return set()
    query = select(DigestMarkRow.observation_pk).where(
        DigestMarkRow.recipient == recipient, DigestMarkRow.observation_pk.in_(observation_pks)
    )
    return set(session.scalars(query))


def mark(session: Session, recipient: str, observation_pks: list[int], outbox_pk: int) -> None:
    session.add_all(
        DigestMarkRow(recipient=recipient, observation_pk=pk, outbox_pk=outbox_pk) for pk in observation_pks
    )
    session.flush()


def by_cap_key(session: Session, kind: str, cap_key: str) -> list[tuple[int, str]]:
    """(pk, status) of the mails of ``kind`` counted under ``cap_key``, oldest first."""
    rows = session.execute(
        select(OutboxRow.id, OutboxRow.status)
        .where(OutboxRow.kind == kind, OutboxRow.cap_key == cap_key)
        .order_by(OutboxRow.id)
    )
    return [(pk, status) for pk, status in rows]


def replace_content(
    session: Session, pk: int, recipients: list[str], subject: str, body: str, raw: bytes
) -> None:
    """Refresh a draft's text (same Message-ID): only while it is still a draft."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == pk, OutboxRow.status == "draft")
        .values(recipients=recipients, subject=subject, body=body, raw=raw)
        .execution_options(synchronize_session=False)
    )
