"""Reports and their observations: the parsed facts of one message.

The per-message functions serve replay and tests; the ``*_many`` ones write a whole
commit batch with one Core statement each ("insertmanyvalues": one INSERT ... RETURNING
for many rows), which is what keeps the ingest's main process cheap per message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from abusebox.core.models import Analysis, Observation
from abusebox.pgp.stored import stored_detail
from abusebox.store import bulk
from abusebox.store.base import table_of, utcnow
from abusebox.store.schema import ObservationRow, ReportRow

_REPORTS = table_of(ReportRow)
_OBSERVATIONS = table_of(ObservationRow)
# Built once per table: SQLAlchemy then reuses their compiled form for every batch.
_INSERTS: dict[str, Any] = {}  # PostgreSQL: INSERT ... RETURNING per table
SEQUENCE_ROWS = 200  # PostgreSQL: from this many rows on, ids come from the sequence first


@dataclass(frozen=True)
class StoredObservation:
    """A stored observation and the time grouping windows it by.

    ``seen_at`` is the observation's time, else the report's reference time (``fallback``:
    its Date, else its arrival): a reference for the grouping window only. What the
    incident records as seen comes from the observation's own times (``observed``) alone.
    """

    pk: int
    report_pk: int
    observation: Observation
    seen_at: datetime  # window reference: the observation's time, else the report's

    @property
    def seen_until(self) -> datetime:
        """The window reference's end: a range's end, else ``seen_at``."""
        return self.observation.time_end or self.seen_at

    @property
    def observed(self) -> list[datetime]:
        """The times the report states for it (start and a range's end); empty if none."""
        o = self.observation
        return [t for t in (o.time, o.time_end) if t is not None]


@dataclass(frozen=True)
class PriorReport:
    """The report a message already has (replay replaces it; a desk verdict is kept)."""

    pk: int
    verdict: str
    verdict_by: str

    @property
    def desk(self) -> tuple[str, str] | None:
        return None if self.verdict_by == "triage" else (self.verdict, self.verdict_by)


def _report_values(message_pk: int, analysis: Analysis) -> dict[str, Any]:
    pgp = analysis.pgp
    return {
        "message_pk": message_pk,
        "verdict": analysis.verdict,
        "category": analysis.category,
        "format": analysis.extraction.format,
        "language": analysis.language,
        "reporter": analysis.parsed.from_addr,
        "spam_score": analysis.triage.score,
        "reasons": list(analysis.triage.reasons),
        "extraction_reasons": list(analysis.extraction.reasons),
        "verdict_by": analysis.triage.decided_by,
        "triage_verdict": analysis.triage.triage_verdict,
        "pgp_status": pgp.status,
        "pgp_fingerprint": pgp.fingerprint,
        "pgp_signer_matches_from": pgp.signer_matches_from,
        "pgp_encrypted": pgp.encrypted,
        "pgp_detail": stored_detail(pgp),
    }


def _observation_values(report_pk: int, o: Observation) -> dict[str, Any]:
    return {
        "report_pk": report_pk,
        "role": o.role,
        "ip": o.ip,
        "time": o.time,
        "time_end": o.time_end,
        "time_original": o.time_original,
        "category": o.category,
        "port": o.port,
        "evidence": o.evidence[:2000],
        "confidence": o.confidence,
        "reason": o.reason,
        "incident_pk": None,
        "group_key": None,
    }


def replace_report(session: Session, message_pk: int, analysis: Analysis) -> tuple[int, set[int]]:
    """Write the report of a message, replacing an earlier one (replay).

    Returns the new report's pk and the incidents that lost observations, so the
    caller can recount them.
    """
    prior = prior_reports(session, [message_pk])
    affected = drop_reports(session, [p.pk for p in prior.values()])
    (pk,) = insert_reports(session, [(message_pk, analysis)])
    return pk, affected


def prior_reports(session: Session, message_pks: Iterable[int]) -> dict[int, PriorReport]:
    """message pk -> its existing report, for these messages (one query)."""
    pks = sorted(set(message_pks))
    if not pks:
        return {}
    rows = session.execute(
        select(ReportRow.message_pk, ReportRow.id, ReportRow.verdict, ReportRow.verdict_by).where(
            ReportRow.message_pk.in_(pks)
        )
    )
    return {m: PriorReport(pk, verdict, by) for m, pk, verdict, by in rows}


def drop_reports(session: Session, report_pks: list[int]) -> set[int]:
    """Delete reports with their observations; return the incidents that lost observations."""
    if not report_pks:
        return set()
    affected = {
        pk
        for pk in session.scalars(
            select(ObservationRow.incident_pk).where(ObservationRow.report_pk.in_(report_pks)).distinct()
        )
        if pk is not None
    }
    session.execute(delete(_OBSERVATIONS).where(_OBSERVATIONS.c.report_pk.in_(report_pks)))
    session.execute(delete(_REPORTS).where(_REPORTS.c.id.in_(report_pks)))
    return affected


def insert_reports(session: Session, reports: list[tuple[int, Analysis]]) -> list[int]:
    """Insert the reports of (message pk, analysis) pairs; their pks, in order."""
    if not reports:
        return []
    rows = [_report_values(message_pk, analysis) for message_pk, analysis in reports]
    return _insert_returning_pks(session, _REPORTS, rows)


def insert_observations(
    session: Session, reports: list[tuple[int, list[Observation], datetime]]
) -> list[list[StoredObservation]]:
    """Insert the observations of (report pk, observations, fallback time) triples at once.

    The fallback (the report's Date, else its arrival) is the grouping window's reference
    for time-less observations; it is not stored as their time, nor as seen.
    """
    rows = [_observation_values(report_pk, o) for report_pk, obs, _at in reports for o in obs]
    pks = iter(_insert_returning_pks(session, _OBSERVATIONS, rows) if rows else [])
    return [
        [StoredObservation(next(pks), report_pk, o, o.time or fallback) for o in obs]
        for report_pk, obs, fallback in reports
    ]


def reserve_observations(
    session: Session, reports: list[tuple[int, list[Observation], datetime]]
) -> list[list[StoredObservation]]:
    """``insert_observations`` without the insert: the pks are reserved (store/bulk.py), and
    ``insert_reserved`` writes the rows once grouping has placed them."""
    pks = iter(bulk.reserve_pks(session, _OBSERVATIONS, sum(len(obs) for _r, obs, _at in reports)))
    return [
        [StoredObservation(next(pks), report_pk, o, o.time or fallback) for o in obs]
        for report_pk, obs, fallback in reports
    ]


def insert_reserved(
    session: Session, reports: list[list[StoredObservation]], placed: list[tuple[int, int, str]]
) -> None:
    """Insert reserved observations, each pointing at the incident grouping placed it in
    ((observation pk, incident pk, group key); targets are in none): one bulk insert."""
    where = {pk: (incident, key) for pk, incident, key in placed}
    now = utcnow()
    rows = []
    for stored in reports:
        for s in stored:
            values = _observation_values(s.report_pk, s.observation)
            values["id"] = s.pk
            values["incident_pk"], values["group_key"] = where.get(s.pk, (None, None))
            values["created_at"] = now
            rows.append(values)
    bulk.insert_rows(session, _OBSERVATIONS, rows)


def _insert_returning_pks(session: Session, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` with as few statements as the dialect allows; their pks, in order.

    SQLite: the ids are the ones it would assign (store/bulk.py ``reserve_pks``: one above
    the largest; this transaction holds the write lock, BEGIN IMMEDIATE) and the rows go in
    by one executemany of the driver with values converted once per column, not by
    SQLAlchemy's per-row parameter work.

    PostgreSQL: a few rows by INSERT ... RETURNING (SQLAlchemy keeps the order); many, with
    their ids reserved from the table's sequence first, by one COPY (store/bulk.py). A
    multi-row INSERT ... RETURNING is re-parsed by psycopg for every page (a statement that
    long is not cached), which cost more than the database's work on a large feed.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" or len(rows) >= SEQUENCE_ROWS:
        pks = bulk.reserve_pks(session, table, len(rows))
        bulk.insert_rows(session, table, [{**row, "id": pk} for row, pk in zip(rows, pks, strict=True)])
        return pks
    statement = _INSERTS.get(table.name)
    if statement is None:
        statement = _INSERTS[table.name] = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    pks = list(session.connection().execute(statement, rows).scalars())
    if len(pks) != len(rows):
        raise RuntimeError(f"inserted {len(rows)} rows into {table.name} but got {len(pks)} pks back")
    return pks


def add_observations(
    session: Session, report_pk: int, observations: list[Observation], fallback_time: datetime
) -> list[StoredObservation]:
    return insert_observations(session, [(report_pk, observations, fallback_time)])[0]


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
    return {int(pk): int(n) for pk, n in rows if pk is not None}


def report_pk_of(session: Session, message_pk: int) -> int | None:
    return session.scalar(select(ReportRow.id).where(ReportRow.message_pk == message_pk))
