"""Reports and their observations: the parsed facts of one message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from abusebox.models import Analysis, Observation
from abusebox.pgp.describe import stored_detail
from abusebox.store.schema import ObservationRow, ReportRow


@dataclass(frozen=True)
class StoredObservation:
    pk: int
    report_pk: int
    observation: Observation
    seen_at: datetime  # the observation's time, else when the report arrived


def replace_report(session: Session, message_pk: int, analysis: Analysis) -> tuple[int, set[int]]:
    """Write the report of a message, replacing an earlier one (replay).

    Returns the new report's pk and the incidents that lost observations, so the
    caller can recount them.
    """
    affected: set[int] = set()
    old = session.scalar(select(ReportRow).where(ReportRow.message_pk == message_pk))
    if old is not None:
        affected = {
            pk
            for pk in session.scalars(
                select(ObservationRow.incident_pk).where(ObservationRow.report_pk == old.id)
            )
            if pk is not None
        }
        session.execute(delete(ObservationRow).where(ObservationRow.report_pk == old.id))
        session.delete(old)
        session.flush()
    pgp = analysis.pgp
    row = ReportRow(
        message_pk=message_pk,
        verdict=analysis.verdict,
        category=analysis.category,
        format=analysis.extraction.format,
        language=analysis.language,
        reporter=analysis.parsed.from_addr,
        spam_score=analysis.triage.score,
        reasons=list(analysis.triage.reasons),
        extraction_reasons=list(analysis.extraction.reasons),
        verdict_by=analysis.triage.decided_by,
        pgp_status=pgp.status,
        pgp_fingerprint=pgp.fingerprint,
        pgp_signer_matches_from=pgp.signer_matches_from,
        pgp_encrypted=pgp.encrypted,
        pgp_detail=stored_detail(pgp),
    )
    session.add(row)
    session.flush()
    return row.id, affected


def add_observations(
    session: Session, report_pk: int, observations: list[Observation], fallback_time: datetime
) -> list[StoredObservation]:
    rows = [
        ObservationRow(
            report_pk=report_pk,
            role=o.role,
            ip=o.ip,
            time=o.time,
            time_original=o.time_original,
            category=o.category,
            port=o.port,
            evidence=o.evidence[:2000],
            confidence=o.confidence,
            reason=o.reason,
        )
        for o in observations
    ]
    session.add_all(rows)
    session.flush()
    return [
        StoredObservation(row.id, report_pk, obs, obs.time or fallback_time)
        for row, obs in zip(rows, observations, strict=True)
    ]


def set_verdict(session: Session, message_pk: int, verdict: str, actor: str) -> int | None:
    row = session.scalar(select(ReportRow).where(ReportRow.message_pk == message_pk))
    if row is None:
        return None
    row.verdict = verdict
    row.verdict_by = actor
    return row.id


def desk_verdict(session: Session, message_pk: int) -> tuple[str, str] | None:
    """(verdict, handler) when a human decided this message's verdict, else None."""
    row = session.execute(
        select(ReportRow.verdict, ReportRow.verdict_by).where(ReportRow.message_pk == message_pk)
    ).first()
    if row is None or row.verdict_by == "triage":
        return None
    return row.verdict, row.verdict_by


def detach_observations(session: Session, report_pk: int) -> dict[int, int]:
    """Take a report's observations out of their incidents; return incident pk -> count.

    The observations stay (evidence); the caller recounts the incidents.
    """
    rows = session.execute(
        select(ObservationRow.incident_pk, func.count(ObservationRow.id))
        .where(ObservationRow.report_pk == report_pk, ObservationRow.incident_pk.is_not(None))
        .group_by(ObservationRow.incident_pk)
    ).all()
    session.execute(
        update(ObservationRow).where(ObservationRow.report_pk == report_pk).values(incident_pk=None)
    )
    return {int(pk): int(n) for pk, n in rows}


def report_pk_of(session: Session, message_pk: int) -> int | None:
    return session.scalar(select(ReportRow.id).where(ReportRow.message_pk == message_pk))
