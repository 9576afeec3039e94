"""Counts for the desk's dashboard and statistics pages: grouped in the database, never row by row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from abusebox.store.schema import IncidentEventRow, IncidentRow, MessageRow, ReportRow

_OTHER: Any = literal_column("'other'")


def _bucket(session: Session, column: Any, unit: str) -> Any:
    """``YYYY-MM-DD`` (unit day) or ``YYYY-MM`` (unit month) of a UTC timestamp column."""
    if session.get_bind().dialect.name == "postgresql":
        # Constants as SQL text, not parameters: GROUP BY must repeat the very expression.
        fmt: Any = literal_column("'YYYY-MM-DD'" if unit == "day" else "'YYYY-MM'")
        return func.to_char(func.timezone(literal_column("'UTC'"), column), fmt)
    return func.strftime(literal_column("'%Y-%m-%d'" if unit == "day" else "'%Y-%m'"), column)


def state_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(IncidentRow.state, func.count())
        .where(IncidentRow.merged_into_pk.is_(None))
        .group_by(IncidentRow.state)
    )
    return {state: int(n) for state, n in rows}


def verdict_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(ReportRow.verdict, func.count()).group_by(ReportRow.verdict))
    return {verdict: int(n) for verdict, n in rows}


def message_status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(MessageRow.status, func.count()).group_by(MessageRow.status))
    return {status: int(n) for status, n in rows}


@dataclass(frozen=True)
class Oldest:
    pk: int
    first_seen: datetime | None
    category: str | None


def oldest_unhandled(session: Session) -> Oldest | None:
    row = session.execute(
        select(IncidentRow.id, IncidentRow.first_seen, IncidentRow.category)
        .where(IncidentRow.state == "new", IncidentRow.merged_into_pk.is_(None))
        .order_by(IncidentRow.first_seen.asc().nulls_last(), IncidentRow.id.asc())
        .limit(1)
    ).first()
    return None if row is None else Oldest(row[0], row[1], row[2])


def reports_per_day(session: Session, since: datetime) -> list[tuple[str, str, int]]:
    """(day, category, reports) for reports received since ``since``."""
    day = _bucket(session, MessageRow.received_at, "day")
    rows = session.execute(
        select(day, func.coalesce(ReportRow.category, _OTHER), func.count())
        .join(ReportRow, ReportRow.message_pk == MessageRow.id)
        .where(ReportRow.verdict == "report", MessageRow.received_at >= since)
        .group_by(day, func.coalesce(ReportRow.category, _OTHER))
    )
    return [(str(d), str(c), int(n)) for d, c, n in rows]


def reports_per_month(session: Session) -> dict[str, int]:
    month = _bucket(session, MessageRow.received_at, "month")
    rows = session.execute(
        select(month, func.count())
        .join(ReportRow, ReportRow.message_pk == MessageRow.id)
        .where(ReportRow.verdict == "report")
        .group_by(month)
    )
    return {str(m): int(n) for m, n in rows}


def incidents_per_month(session: Session) -> list[tuple[str, str, int]]:
    """(month, category, incidents opened) over all time."""
    month = _bucket(session, IncidentRow.created_at, "month")
    category = func.coalesce(IncidentRow.category, _OTHER)
    rows = session.execute(
        select(month, category, func.count())
        .where(IncidentRow.merged_into_pk.is_(None))
        .group_by(month, category)
    )
    return [(str(m), str(c), int(n)) for m, c, n in rows]


def coordinated_per_month(session: Session) -> dict[str, int]:
    """Incidents moved to `contacting` (the owner, an abuse contact or a CSIRT was notified)."""
    month = _bucket(session, IncidentEventRow.at, "month")
    rows = session.execute(
        select(month, func.count(func.distinct(IncidentEventRow.incident_pk)))
        .where(IncidentEventRow.action == "state", IncidentEventRow.detail["to"].as_string() == "contacting")
        .group_by(month)
    )
    return {str(m): int(n) for m, n in rows}


def ping(session: Session) -> None:
    session.execute(select(1))
