"""Reporters (the address a report speaks for): how many reports, when, signed how, acks sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from abusebox.store.schema import MessageRow, OutboxRow, ReportRow


@dataclass(frozen=True)
class ReporterSummary:
    address: str
    reports: int
    first_at: datetime | None
    last_at: datetime | None
    signed: int  # reports with a valid signature
    acks: int  # acknowledgements sent


@dataclass(frozen=True)
class KeySeen:
    fingerprint: str
    status: str
    reports: int
    last_at: datetime | None


@dataclass(frozen=True)
class AckRow:
    pk: int
    status: str
    subject: str
    message_pk: int | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class ReporterReport:
    message_pk: int
    received_at: datetime
    subject: str | None
    verdict: str
    category: str | None
    pgp_status: str


def _acks_by_reporter() -> Any:
    return (
        select(func.lower(ReportRow.reporter).label("reporter"), func.count(OutboxRow.id).label("acks"))
        .join(OutboxRow, OutboxRow.answers_message_pk == ReportRow.message_pk)
        .where(OutboxRow.kind == "ack", OutboxRow.status == "sent", ReportRow.reporter.is_not(None))
        .group_by(func.lower(ReportRow.reporter))
        .subquery()
    )


def list_reporters(
    session: Session, *, contains: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[ReporterSummary], int]:
    """Reporters, the busiest first, and how many match (``contains``: part of the address)."""
    address = func.lower(ReportRow.reporter)
    where = [ReportRow.reporter.is_not(None)]
    if contains:
        escaped = contains.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(address.like(f"%{escaped}%", escape="\\"))
    acks = _acks_by_reporter()
    grouped = (
        select(
            address.label("address"),
            func.count(ReportRow.id).label("reports"),
            func.min(MessageRow.received_at).label("first_at"),
            func.max(MessageRow.received_at).label("last_at"),
            func.sum(case((ReportRow.pgp_status == "valid", 1), else_=0)).label("signed"),
        )
        .join(MessageRow, MessageRow.id == ReportRow.message_pk)
        .where(*where)
        .group_by(address)
        .subquery()
    )
    total = session.scalar(select(func.count()).select_from(grouped)) or 0
    rows = session.execute(
        select(grouped, func.coalesce(acks.c.acks, 0))
        .outerjoin(acks, acks.c.reporter == grouped.c.address)
        .order_by(grouped.c.reports.desc(), grouped.c.address)
        .limit(limit)
        .offset(offset)
    )
    out = [
        ReporterSummary(
            str(a),
            int(n),
            _aware(first),
            _aware(last),
            int(signed or 0),
            int(n_acks or 0),
        )
        for a, n, first, last, signed, n_acks in rows
    ]
    return out, int(total)


def _aware(value: object) -> datetime | None:
    """min()/max() of a UtcDateTime column come back as the driver gives them (naive on SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def reporter_reports(session: Session, address: str, limit: int = 200) -> list[ReporterReport]:
    rows = session.execute(
        select(
            MessageRow.id,
            MessageRow.received_at,
            MessageRow.subject,
            ReportRow.verdict,
            ReportRow.category,
            ReportRow.pgp_status,
        )
        .join(ReportRow, ReportRow.message_pk == MessageRow.id)
        .where(func.lower(ReportRow.reporter) == address.casefold())
        .order_by(MessageRow.received_at.desc(), MessageRow.id.desc())
        .limit(limit)
    )
    return [ReporterReport(*row) for row in rows]


def reporter_keys(session: Session, address: str) -> list[KeySeen]:
    """Signing keys seen on this reporter's reports, with the verification outcome."""
    rows = session.execute(
        select(
            ReportRow.pgp_fingerprint, ReportRow.pgp_status, func.count(), func.max(MessageRow.received_at)
        )
        .join(MessageRow, MessageRow.id == ReportRow.message_pk)
        .where(func.lower(ReportRow.reporter) == address.casefold(), ReportRow.pgp_fingerprint.is_not(None))
        .group_by(ReportRow.pgp_fingerprint, ReportRow.pgp_status)
    )
    return [KeySeen(str(f), str(s), int(n), _aware(last)) for f, s, n, last in rows]


def reporter_acks(session: Session, address: str, limit: int = 200) -> list[AckRow]:
    """The acknowledgement rows (any status) answering this reporter's messages, newest first."""
    rows = session.execute(
        select(
            OutboxRow.id,
            OutboxRow.status,
            OutboxRow.subject,
            OutboxRow.answers_message_pk,
            OutboxRow.created_at,
            OutboxRow.sent_at,
        )
        .join(ReportRow, ReportRow.message_pk == OutboxRow.answers_message_pk)
        .where(OutboxRow.kind == "ack", func.lower(ReportRow.reporter) == address.casefold())
        .order_by(OutboxRow.created_at.desc(), OutboxRow.id.desc())
        .limit(limit)
    )
    return [AckRow(*row) for row in rows]
