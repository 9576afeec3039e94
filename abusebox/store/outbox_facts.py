"""What outgoing mail reads beside the outbox table: the incidents it cites, the timelines it checks.

An acknowledgement cites the incidents a message was grouped into (a ticket number's
year is when its incident was opened), a notification or an alert names the incidents a
batch touched, and correspondence and bounces go on a timeline once however often a
message is replayed. These queries read the incident, report, observation and event
tables, not the outbox's rows, and are kept apart from outbox.py so that it holds only those rows
and their delivery bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from abusebox.store.schema import IncidentEventRow, IncidentRow, MessageEventRow, ObservationRow, ReportRow


def logged_for_message(session: Session, action: str, message_pk: int, incidents: list[int]) -> set[int]:
    """Of ``incidents``, those whose timeline already has ``action`` about message ``message_pk``.

    What makes correspondence and bounces idempotent: a replayed message logs nothing twice.
    """
    if not incidents:
        return set()
    rows = session.execute(
        select(IncidentEventRow.incident_pk, IncidentEventRow.detail).where(
            IncidentEventRow.action == action, IncidentEventRow.incident_pk.in_(incidents)
        )
    )
    return {pk for pk, detail in rows if isinstance(detail, dict) and detail.get("message") == message_pk}


def message_logged(session: Session, action: str, message_pk: int) -> bool:
    """Does message ``message_pk``'s own ledger already have an ``action`` event?"""
    query = select(MessageEventRow.id).where(
        MessageEventRow.message_pk == message_pk, MessageEventRow.action == action
    )
    return session.scalars(query.limit(1)).first() is not None


@dataclass(frozen=True)
class TicketIncident:
    """An incident a message's observations were grouped into: what an acknowledgement cites."""

    pk: int
    created_at: datetime
    report_count: int


def incidents_of_messages(session: Session, message_pks: list[int]) -> dict[int, list[TicketIncident]]:
    """message pk -> the incidents its observations are in, lowest pk first."""
    if not message_pks:
        return {}
    rows = session.execute(
        select(ReportRow.message_pk, IncidentRow.id, IncidentRow.created_at, IncidentRow.report_count)
        .join(ObservationRow, ObservationRow.report_pk == ReportRow.id)
        .join(IncidentRow, IncidentRow.id == ObservationRow.incident_pk)
        .where(ReportRow.message_pk.in_(message_pks))
        .distinct()
    ).all()
    out: dict[int, list[TicketIncident]] = {}
    for message_pk, pk, created_at, count in rows:
        out.setdefault(message_pk, []).append(TicketIncident(pk, created_at, count))
    for found in out.values():
        found.sort(key=lambda t: t.pk)
    return out


def incident_created(session: Session, pk: int) -> datetime | None:
    """When an incident was opened (its ticket number's year), None when there is no such incident."""
    return session.scalar(select(IncidentRow.created_at).where(IncidentRow.id == pk))


def incident_facts(session: Session, pks: list[int]) -> list[IncidentRow]:
    """The incident rows (ours, owner, category, priority, created_at) a batch touched."""
    if not pks:
        return []
    return list(session.scalars(select(IncidentRow).where(IncidentRow.id.in_(pks)).order_by(IncidentRow.id)))
