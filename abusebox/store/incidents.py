"""Incidents and their work log (incident_events); every function works in the caller's session.

What grouping reads and writes while it places observations is in store/grouping.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from abusebox.store import bulk
from abusebox.store.base import table_of, utcnow
from abusebox.store.events import Event
from abusebox.store.schema import IncidentEventRow, IncidentRow, MessageRow, ObservationRow, ReportRow

CLOSED_STATES = ("resolved", "rejected")
_EVENTS = table_of(IncidentEventRow)


def incident_row(session: Session, pk: int) -> IncidentRow | None:
    return session.get(IncidentRow, pk)


def quiet_incidents(session: Session, states: list[str], cutoff: datetime) -> list[IncidentRow]:
    """Unmerged incidents in ``states`` with no observation and no activity since ``cutoff``."""
    return list(
        session.scalars(
            select(IncidentRow)
            .where(
                IncidentRow.state.in_(states),
                IncidentRow.merged_into_pk.is_(None),
                # a time-less incident: quiet since its last report arrived
                func.coalesce(IncidentRow.last_seen, IncidentRow.window_end) < cutoff,
                IncidentRow.last_activity_at < cutoff,
            )
            .order_by(IncidentRow.id)
        )
    )


def recount(session: Session, incident_pk: int) -> None:
    """Recompute counts, first/last seen (observed times only: null when no observation
    has a time) and the grouping window (the report's reference time for time-less ones)
    from the observations (after replay/split/merge)."""
    session.flush()
    # The reference of a time-less observation, as the writer gave it: the report's Date,
    # else its arrival (pipeline/commit.py). It windows, never counts as seen.
    arrived = func.coalesce(MessageRow.date, MessageRow.received_at)
    obs_count, report_count, first, last, start, end = session.execute(
        select(
            func.count(ObservationRow.id),
            func.count(func.distinct(ObservationRow.report_pk)),
            func.min(ObservationRow.time),
            func.max(func.coalesce(ObservationRow.time_end, ObservationRow.time)),
            func.min(func.coalesce(ObservationRow.time, arrived)),
            func.max(func.coalesce(ObservationRow.time_end, ObservationRow.time, arrived)),
        )
        .select_from(ObservationRow)
        .join(ReportRow, ReportRow.id == ObservationRow.report_pk)
        .join(MessageRow, MessageRow.id == ReportRow.message_pk)
        .where(ObservationRow.incident_pk == incident_pk)
    ).one()
    values: dict[str, Any] = {"observation_count": obs_count, "report_count": report_count}
    if obs_count:
        values.update(first_seen=first, last_seen=last, window_start=start, window_end=end)
    session.execute(update(IncidentRow).where(IncidentRow.id == incident_pk).values(**values))


def add_event(
    session: Session, incident_pk: int, actor: str, action: str, detail: dict[str, Any] | None = None
) -> None:
    session.add(IncidentEventRow(incident_pk=incident_pk, actor=actor, action=action, detail=detail or {}))


def add_events(session: Session, events: list[tuple[int, str, str, dict[str, Any]]]) -> None:
    """Write (incident pk, actor, action, detail) events, in this order: one bulk insert."""
    now = utcnow()
    bulk.insert_rows(
        session,
        _EVENTS,
        [
            {"incident_pk": pk, "at": now, "actor": actor, "action": action, "detail": d}
            for pk, actor, action, d in events
        ],
    )


@dataclass
class IncidentSummary:
    pk: int
    group_key: str
    category: str | None
    state: str
    priority: str
    assignee: str | None
    owner: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    report_count: int
    observation_count: int
    network_name: str | None = None  # the RDAP/NIR holder of an external source


@dataclass(frozen=True)
class IncidentObservation:
    """A source observation of the incident, with the message it came from."""

    pk: int
    ip: str
    time: datetime | None
    category: str | None
    port: int | None
    evidence: str
    message_pk: int
    time_end: datetime | None = None  # a stated range's end


@dataclass
class IncidentDetail(IncidentSummary):
    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    reporters: list[str] = field(default_factory=list)
    observations: list[IncidentObservation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    key_kind: str = "ip"
    ours: bool = False
    # Enrichment: the registry's network holding the source, and whom to tell.
    network: str | None = None
    asn: int | None = None
    country: str | None = None
    abuse_contacts: list[str] = field(default_factory=list)
    merged_into: int | None = None
    # The closing record (steps 4 and 5 of the response).
    cause: str | None = None
    recovery: str | None = None
    prevention: str | None = None
    lessons: str | None = None
    resolution: str | None = None


def _summary_fields(row: IncidentRow) -> dict[str, Any]:
    return {
        "pk": row.id,
        "group_key": row.group_key,
        "category": row.category,
        "state": row.state,
        "priority": row.priority,
        "assignee": row.assignee,
        "owner": row.owner,
        "first_seen": row.first_seen,
        "last_seen": row.last_seen,
        "report_count": row.report_count,
        "observation_count": row.observation_count,
        "network_name": row.network_name,
    }


def list_incidents(
    session: Session,
    *,
    state: str | None = None,
    category: str | None = None,
    owner: str | None = None,
    limit: int = 200,
) -> list[IncidentSummary]:
    query = (
        select(IncidentRow)
        .where(IncidentRow.merged_into_pk.is_(None))
        .order_by(IncidentRow.last_seen.desc().nulls_last(), IncidentRow.id.desc())
        .limit(limit)
    )
    if state:
        query = query.where(IncidentRow.state == state)
    if category:
        query = query.where(IncidentRow.category == category)
    if owner:
        # Ours: the constituency owner; external: the registry network (name or CIDR).
        wanted = owner.casefold()
        query = query.where(
            or_(
                func.lower(IncidentRow.owner) == wanted,
                func.lower(IncidentRow.network_name) == wanted,
                IncidentRow.network == owner,
            )
        )
    return [IncidentSummary(**_summary_fields(row)) for row in session.scalars(query)]


def get_incident(session: Session, pk: int) -> IncidentDetail | None:
    row = session.get(IncidentRow, pk)
    if row is None:
        return None
    obs = session.execute(
        select(ObservationRow, func.coalesce(ReportRow.reporter, MessageRow.from_addr), MessageRow.id)
        .join(ReportRow, ReportRow.id == ObservationRow.report_pk)
        .join(MessageRow, MessageRow.id == ReportRow.message_pk)
        .where(ObservationRow.incident_pk == pk)
        .order_by(ObservationRow.time, ObservationRow.id)
    ).all()
    report_pks = {o.report_pk for o, _f, _m in obs}
    targets = sorted(
        set(
            session.scalars(
                select(ObservationRow.ip).where(
                    ObservationRow.report_pk.in_(report_pks), ObservationRow.role == "target"
                )
            )
        )
    )
    return IncidentDetail(
        **_summary_fields(row),
        sources=sorted({o.ip for o, _f, _m in obs if o.role == "source"}),
        targets=targets,
        reporters=sorted({f for _o, f, _m in obs if f}),
        observations=[
            IncidentObservation(o.id, o.ip, o.time, o.category, o.port, o.evidence, mid, o.time_end)
            for o, _f, mid in obs
        ],
        events=[Event.of(e) for e in row.events],
        key_kind=row.key_kind,
        ours=row.ours,
        network=row.network,
        asn=row.asn,
        country=row.country,
        abuse_contacts=list(row.abuse_contacts or []),
        merged_into=row.merged_into_pk,
        cause=row.cause,
        recovery=row.recovery,
        prevention=row.prevention,
        lessons=row.lessons,
        resolution=row.resolution,
    )
