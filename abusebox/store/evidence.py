"""Read-side queries for evidence export and the SQL of the retention job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from abusebox.store.db import chunks
from abusebox.store.messages import StoredPgp
from abusebox.store.schema import MessageRow, ObservationRow, ReportRow


@dataclass(frozen=True)
class EvidenceMessage:
    pk: int
    sha256: str
    raw: bytes | None  # None once archived or pruned
    archived: bool
    received_at: datetime
    from_addr: str | None
    subject: str | None
    pgp: StoredPgp


def incident_messages(session: Session, incident_pk: int) -> list[EvidenceMessage]:
    """The messages whose reports fed the incident, with their PGP verification results."""
    report_pks = select(ObservationRow.report_pk).where(ObservationRow.incident_pk == incident_pk)
    rows = session.execute(
        select(MessageRow, ReportRow)
        .join(ReportRow, ReportRow.message_pk == MessageRow.id)
        .where(ReportRow.id.in_(report_pks))
        .order_by(MessageRow.id)
        .execution_options(populate_existing=True)
    ).all()
    out = []
    for message, report in rows:
        out.append(
            EvidenceMessage(
                pk=message.id,
                sha256=message.sha256,
                raw=message.raw,
                archived=message.archived,
                received_at=message.received_at,
                from_addr=message.from_addr,
                subject=message.subject,
                pgp=StoredPgp(
                    report.pgp_status,
                    report.pgp_fingerprint,
                    report.pgp_signer_matches_from,
                    report.pgp_encrypted,
                    report.pgp_detail,
                ),
            )
        )
    return out


def raw_state(session: Session, pk: int) -> tuple[str, bytes | None, bool] | None:
    """(sha256, raw bytes or None, archived) of a message; None when there is no such message."""
    row = session.execute(
        select(MessageRow.sha256, MessageRow.raw, MessageRow.archived).where(MessageRow.id == pk)
    ).first()
    return (row.sha256, row.raw, bool(row.archived)) if row is not None else None


def old_raw_messages(session: Session, cutoff: datetime, limit: int) -> list[tuple[int, str, bytes]]:
    """Messages received before ``cutoff`` that still hold their raw bytes.

    Messages still ``new`` (stored, never analysed: the worker stopped) keep their bytes
    whatever their age, so the resume step can still process them.
    """
    return [
        (pk, sha, raw)
        for pk, sha, raw in session.execute(
            select(MessageRow.id, MessageRow.sha256, MessageRow.raw)
            .where(MessageRow.received_at < cutoff, MessageRow.raw.is_not(None), MessageRow.status != "new")
            .order_by(MessageRow.id)
            .limit(limit)
        )
        if raw is not None
    ]


def drop_raw(session: Session, pks: list[int], archived: bool) -> None:
    """Null the raw bytes; the row stays as the sha256 ledger entry (duplicates still known)."""
    session.execute(update(MessageRow).where(MessageRow.id.in_(pks)).values(raw=None, archived=archived))


def _old_observation(cutoff: datetime) -> Any:
    return or_(
        ObservationRow.time < cutoff,
        and_(ObservationRow.time.is_(None), ObservationRow.created_at < cutoff),
    )


@dataclass(frozen=True)
class OldObservation:
    """An observation past its retention age, with what the archive keeps of it."""

    id: int
    report: int
    incident: int | None
    role: str
    ip: str
    group_key: str | None
    time: datetime | None
    category: str | None
    port: int | None
    evidence: str


def old_observations(session: Session, cutoff: datetime, limit: int) -> list[OldObservation]:
    rows = session.scalars(
        select(ObservationRow).where(_old_observation(cutoff)).order_by(ObservationRow.id).limit(limit)
    ).all()
    return [
        OldObservation(
            r.id,
            r.report_pk,
            r.incident_pk,
            r.role,
            r.ip,
            r.group_key,
            r.time,
            r.category,
            r.port,
            r.evidence,
        )
        for r in rows
    ]


def delete_observations(session: Session, pks: list[int]) -> None:
    for part in chunks(pks):
        session.execute(delete(ObservationRow).where(ObservationRow.id.in_(part)))
