"""Incidents and their work log (incident_events); every function works in the caller's session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, inspect, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from abusebox.store import bulk
from abusebox.store.db import chunks
from abusebox.store.events import Event
from abusebox.store.schema import (
    IncidentEventRow,
    IncidentRow,
    MessageRow,
    ObservationRow,
    ReportRow,
    table_of,
    utcnow,
)

CLOSED_STATES = ("resolved", "rejected")
_OBSERVATIONS = table_of(ObservationRow)
# Built once, so their compiled form is cached: grouping runs them for every commit batch.
_ASSIGN = (
    update(_OBSERVATIONS)
    .where(_OBSERVATIONS.c.id == bindparam("b_pk"))
    .values(incident_pk=bindparam("b_incident"), group_key=bindparam("b_key"))
)
_EVENTS = table_of(IncidentEventRow)
_INCIDENTS = table_of(IncidentRow)


GROUP_LOCK_CLASS = 0x0AB05F  # first key of grouping's advisory locks (the leader's is 0x0AB05E)
ALL_GROUPS_CLASS = 0x0AB060  # ... and of the lock on all of grouping, shared or exclusive
MAX_GROUP_LOCKS = 256  # more pairs than this in one batch: all of grouping, exclusively
COUNTERS = ("observation_count", "report_count")
_SCHEMA_KEY = "hashtext(current_schema())"
# One statement for all the (key, category) locks of a batch, taken in a fixed order so
# two workers never wait on each other in a cycle. The second key hashes the schema
# too: deployments (and test sessions) in separate schemas of one database never meet.
_LOCK_GROUPS = text(
    "SELECT count(pg_advisory_xact_lock(:cls, h)) FROM ("
    " SELECT DISTINCT hashtext(current_schema() || ':' || g) AS h"
    " FROM unnest(CAST(:groups AS text[])) AS t(g) ORDER BY h) AS locks"
)
_LOCK_ALL_SHARED = text(f"SELECT pg_advisory_xact_lock_shared(:cls, {_SCHEMA_KEY})")
_LOCK_ALL = text(f"SELECT pg_advisory_xact_lock(:cls, {_SCHEMA_KEY})")


def lock_groups(session: Session, keys: list[tuple[str, str | None]]) -> None:
    """Serialise grouping per (key, category) until the transaction ends.

    Two workers grouping observations of one key would otherwise both find no incident
    and open two. PostgreSQL: a transaction-level advisory lock per pair, under a shared
    lock on all of grouping; a batch of more than MAX_GROUP_LOCKS pairs (a feed of
    thousands of sources) takes that one exclusively instead, since the server's lock
    table has room for a few thousand locks in all. SQLite: the transaction already
    holds the database's one write lock (BEGIN IMMEDIATE).
    """
    if not keys or session.get_bind().dialect.name != "postgresql":
        return
    groups = sorted({f"{key}\x1f{category or ''}" for key, category in keys})
    if len(groups) > MAX_GROUP_LOCKS:
        session.execute(_LOCK_ALL, {"cls": ALL_GROUPS_CLASS})
        return
    session.execute(_LOCK_ALL_SHARED, {"cls": ALL_GROUPS_CLASS})
    session.execute(_LOCK_GROUPS, {"cls": GROUP_LOCK_CLASS, "groups": groups})


def counters_in_sql(incidents: list[IncidentRow]) -> None:
    """Make the flush add what grouping added to stored incidents' counters, in SQL.

    Grouping counts in Python (priority reads the new volume); written back as values,
    two workers adding to one incident would lose one's additions. As
    ``count = count + delta`` they add up (the attributes are reloaded when next read).
    """
    for incident in incidents:
        state = inspect(incident)
        if not state.persistent:
            continue
        for name in COUNTERS:
            history = state.attrs[name].history
            if not history.added or not history.deleted:
                continue
            delta = history.added[0] - history.deleted[0]
            setattr(incident, name, getattr(IncidentRow, name) + delta)


def groupable_candidates(
    session: Session, keys: list[tuple[str, str | None]], earliest: datetime, latest: datetime
) -> list[tuple[IncidentRow, IncidentRow]]:
    """(incident, where its observations go) for these (key, category) pairs in [earliest, latest].

    One indexed query per report (ix_incidents_key_window); the caller picks per run. A
    merged incident still matches by its own key and times, and sends its observations
    on to the incident it was merged into. Rejected incidents are included: an
    observation joins one silently (the desk decided it is not an incident).
    """
    if not keys:
        return []
    group_keys = sorted({k for k, _c in keys})
    categories = {c for _k, c in keys}
    category_filter: ColumnElement[bool] = IncidentRow.category.in_(
        sorted(c for c in categories if c is not None)
    )
    if None in categories:
        category_filter = or_(category_filter, IncidentRow.category.is_(None))
    rows = [
        row
        for part in chunks(group_keys)
        for row in session.scalars(
            select(IncidentRow).where(
                IncidentRow.group_key.in_(part),
                category_filter,
                IncidentRow.window_end > earliest,
                IncidentRow.window_start < latest,
            )
        )
    ]
    wanted = set(keys)
    out = []
    for row in rows:
        if (row.group_key, row.category) not in wanted:
            continue
        target: IncidentRow | None = row
        for _hop in range(20):  # merge chains are short; the bound guards against a cycle
            if target is None or target.merged_into_pk is None:
                break
            target = session.get(IncidentRow, target.merged_into_pk)
        if target is not None and target.merged_into_pk is None:
            out.append((row, target))
    return out


@dataclass(eq=False)
class NewIncident:
    """An incident a commit batch opens: plain values, not an ORM object, so that a feed
    opening ten thousand incidents pays one bulk INSERT (``insert_new_incidents``) and no
    unit-of-work bookkeeping. ``id`` is set by that insert."""

    group_key: str
    key_kind: str
    category: str | None
    window_start: datetime  # grouping's span (reference times), never shown as seen
    window_end: datetime
    first_seen: datetime | None = None  # observed times only: set by ``widen``
    last_seen: datetime | None = None
    ours: bool = False
    owner: str | None = None
    priority: str = "normal"
    state: str = "new"
    network: str | None = None
    report_count: int = 0
    observation_count: int = 0
    last_activity_at: datetime = field(default_factory=utcnow)
    id: int = 0


def insert_new_incidents(session: Session, incidents: list[NewIncident]) -> None:
    """Insert the incidents a batch opened, with their final counts; set their ids."""
    if not incidents:
        return
    now = utcnow()
    pks = bulk.reserve_pks(session, _INCIDENTS, len(incidents))
    for incident, pk in zip(incidents, pks, strict=True):
        incident.id = pk
    bulk.insert_rows(
        session,
        _INCIDENTS,
        [
            {
                "id": i.id,
                "group_key": i.group_key,
                "key_kind": i.key_kind,
                "category": i.category,
                "state": i.state,
                "priority": i.priority,
                "ours": i.ours,
                "owner": i.owner,
                "first_seen": i.first_seen,
                "last_seen": i.last_seen,
                "window_start": i.window_start,
                "window_end": i.window_end,
                "last_activity_at": i.last_activity_at,
                "report_count": i.report_count,
                "observation_count": i.observation_count,
                "created_at": now,
                "updated_at": now,
            }
            for i in incidents
        ],
    )


def widen(
    incident: IncidentRow | NewIncident, seen: list[datetime], window: list[datetime] | None = None
) -> None:
    """Extend first/last seen to cover ``seen`` (observed times only) and the grouping
    window to cover ``window`` (observed times and, for time-less observations, arrivals)."""
    if seen:
        first, last = min(seen), max(seen)
        if incident.first_seen is None or first < incident.first_seen:
            incident.first_seen = first
        if incident.last_seen is None or last > incident.last_seen:
            incident.last_seen = last
    span = (window or []) + seen
    if span:
        first, last = min(span), max(span)
        if incident.window_start is None or first < incident.window_start:
            incident.window_start = first
        if incident.window_end is None or last > incident.window_end:
            incident.window_end = last
    incident.last_activity_at = utcnow()


def assign_observations(session: Session, assignments: list[tuple[int, int, str]]) -> None:
    """Point observations (pk, incident pk, group key) at their incidents: one executemany."""
    if assignments:
        session.connection().execute(
            _ASSIGN, [{"b_pk": pk, "b_incident": inc, "b_key": key} for pk, inc, key in assignments]
        )


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
