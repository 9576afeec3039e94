"""What grouping reads and writes: its locks, the candidate incidents, the incidents a
batch opens and the changes to stored ones; every function works in the caller's session.

A commit batch places thousands of observations, so the incidents it works with are
plain values, not ORM objects: the candidates are read by one indexed query per chunk of
keys (``StoredIncident``), the incidents it opens are inserted by one bulk statement
(``NewIncident``) and the changes to stored ones are written by one executemany
(``update_stored``), counters added in SQL so that concurrent workers never lose one's
additions. No unit-of-work bookkeeping, no per-incident UPDATE statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from abusebox.store import bulk
from abusebox.store.base import table_of, utcnow
from abusebox.store.db import chunks
from abusebox.store.schema import IncidentRow, ObservationRow

_OBSERVATIONS = table_of(ObservationRow)
_INCIDENTS = table_of(IncidentRow)

GROUP_LOCK_CLASS = 0x0AB05F  # first key of grouping's advisory locks (the leader's is 0x0AB05E)
ALL_GROUPS_CLASS = 0x0AB060  # ... and of the lock on all of grouping, shared or exclusive
MAX_GROUP_LOCKS = 256  # more pairs than this in one batch: all of grouping, exclusively
MERGE_HOPS = 20  # merge chains are short; the bound guards against a cycle
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

# Built once, so their compiled form is cached: grouping runs them for every commit batch.
_ASSIGN = (
    update(_OBSERVATIONS)
    .where(_OBSERVATIONS.c.id == bindparam("b_pk"))
    .values(incident_pk=bindparam("b_incident"), group_key=bindparam("b_key"))
)
_STORED_COLUMNS = (
    _INCIDENTS.c.id,
    _INCIDENTS.c.group_key,
    _INCIDENTS.c.key_kind,
    _INCIDENTS.c.category,
    _INCIDENTS.c.state,
    _INCIDENTS.c.priority,
    _INCIDENTS.c.ours,
    _INCIDENTS.c.owner,
    _INCIDENTS.c.network,
    _INCIDENTS.c.first_seen,
    _INCIDENTS.c.last_seen,
    _INCIDENTS.c.window_start,
    _INCIDENTS.c.window_end,
    _INCIDENTS.c.report_count,
    _INCIDENTS.c.observation_count,
    _INCIDENTS.c.merged_into_pk,
)
_CHANGES = {
    "observation_count": _INCIDENTS.c.observation_count + bindparam("b_observations"),
    "report_count": _INCIDENTS.c.report_count + bindparam("b_reports"),
    "first_seen": bindparam("b_first_seen"),
    "last_seen": bindparam("b_last_seen"),
    "window_start": bindparam("b_window_start"),
    "window_end": bindparam("b_window_end"),
    "last_activity_at": bindparam("b_activity"),
    "updated_at": bindparam("b_now"),
}
_UPDATE = update(_INCIDENTS).where(_INCIDENTS.c.id == bindparam("b_id")).values(**_CHANGES)
# ... and for incidents whose priority this batch raised (only then is it written: a
# handler's change to another incident's priority is never overwritten with what we read).
_UPDATE_PRIORITY = (
    update(_INCIDENTS)
    .where(_INCIDENTS.c.id == bindparam("b_id"))
    .values(**_CHANGES, priority=bindparam("b_priority"))
)


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


@dataclass(eq=False)
class StoredIncident:
    """A stored incident as grouping sees it: read once per batch, changed in memory,
    written back by ``update_stored`` (what it added to the counters, the new times)."""

    id: int
    group_key: str
    key_kind: str
    category: str | None
    state: str
    priority: str
    ours: bool
    owner: str | None
    network: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    window_start: datetime | None
    window_end: datetime | None
    report_count: int
    observation_count: int
    merged_into_pk: int | None
    last_activity_at: datetime | None = None
    # As read: update_stored writes the differences (counters) and what changed.
    read_counts: tuple[int, int] = (0, 0)
    read_priority: str = ""

    def __post_init__(self) -> None:
        self.read_counts = (self.observation_count, self.report_count)
        self.read_priority = self.priority


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


def groupable_candidates(
    session: Session, keys: list[tuple[str, str | None]], earliest: datetime, latest: datetime
) -> list[tuple[StoredIncident, StoredIncident]]:
    """(incident, where its observations go) for these (key, category) pairs in [earliest, latest].

    One indexed query per chunk of keys (ix_incidents_key_window); the caller picks per
    run. A merged incident still matches by its own key and times, and sends its
    observations on to the incident it was merged into (one object per stored incident,
    however many point at it). Rejected incidents are included: an observation joins one
    silently (the desk decided it is not an incident).
    """
    if not keys:
        return []
    group_keys = sorted({k for k, _c in keys})
    categories = {c for _k, c in keys}
    category_filter: ColumnElement[bool] = _INCIDENTS.c.category.in_(
        sorted(c for c in categories if c is not None)
    )
    if None in categories:
        category_filter = or_(category_filter, _INCIDENTS.c.category.is_(None))
    loaded: dict[int, StoredIncident] = {}
    rows = [
        _loaded(loaded, row)
        for part in chunks(group_keys)
        for row in session.execute(
            select(*_STORED_COLUMNS).where(
                _INCIDENTS.c.group_key.in_(part),
                category_filter,
                _INCIDENTS.c.window_end > earliest,
                _INCIDENTS.c.window_start < latest,
            )
        )
    ]
    wanted = set(keys)
    out = []
    for row in rows:
        if (row.group_key, row.category) not in wanted:
            continue
        target = _merge_target(session, loaded, row)
        if target is not None:
            out.append((row, target))
    return out


def _loaded(loaded: dict[int, StoredIncident], row: Any) -> StoredIncident:
    incident = loaded.get(row.id)
    if incident is None:
        incident = loaded[row.id] = StoredIncident(**row._mapping)  # by column name
    return incident


def _merge_target(
    session: Session, loaded: dict[int, StoredIncident], incident: StoredIncident
) -> StoredIncident | None:
    """The incident at the end of ``incident``'s merge chain (itself when unmerged)."""
    target: StoredIncident | None = incident
    for _hop in range(MERGE_HOPS):
        if target is None or target.merged_into_pk is None:
            return target
        pk = target.merged_into_pk
        if pk not in loaded:
            row = session.execute(select(*_STORED_COLUMNS).where(_INCIDENTS.c.id == pk)).first()
            if row is None:
                return None
            _loaded(loaded, row)
        target = loaded[pk]
    return None


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


def update_stored(session: Session, incidents: list[StoredIncident]) -> None:
    """Write what a batch changed in stored incidents: one executemany per statement shape.

    Counters are added in SQL (``count = count + delta``): two workers adding to one
    incident both count. Times are written as grouping computed them, under the lock on
    their (key, category) (``lock_groups``); a raised priority only where it was raised.
    ORM objects of these incidents already in the session are expired, so whatever reads
    them next in this transaction sees the stored values.
    """
    if not incidents:
        return
    now = utcnow()
    plain: list[dict[str, Any]] = []
    raised: list[dict[str, Any]] = []
    for incident in incidents:
        observations, reports = incident.read_counts
        params = {
            "b_id": incident.id,
            "b_observations": incident.observation_count - observations,
            "b_reports": incident.report_count - reports,
            "b_first_seen": incident.first_seen,
            "b_last_seen": incident.last_seen,
            "b_window_start": incident.window_start,
            "b_window_end": incident.window_end,
            "b_activity": incident.last_activity_at or now,
            "b_now": now,
        }
        if incident.priority != incident.read_priority:
            raised.append({**params, "b_priority": incident.priority})
        else:
            plain.append(params)
    bulk.execute_rows(session, _UPDATE, plain)
    bulk.execute_rows(session, _UPDATE_PRIORITY, raised)
    ids = {incident.id for incident in incidents}
    for obj in list(session.identity_map.values()):
        if isinstance(obj, IncidentRow) and obj.id in ids:
            session.expire(obj)


def widen(
    incident: StoredIncident | NewIncident, seen: list[datetime], window: list[datetime] | None = None
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
