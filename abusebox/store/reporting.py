"""Counts for the desk's dashboard and statistics pages, read from counts the database keeps.

Triggers (migration 0007) write +1/-1 rows into ``desk_tally_delta`` in the writer's own
transaction whenever a report's verdict or category, a message's status or a live
incident's state or category changes, is inserted or deleted. ``fold`` moves the deltas
into ``desk_tally`` (one row per key); every read sums both tables in one statement, so a
count is exact whether or not a fold ran. The ``direct_*`` functions count the rows
themselves (the same answers, the slow way): tests compare the two.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, literal_column, select, text, union_all
from sqlalchemy.orm import Session

from abusebox.store.base import table_of
from abusebox.store.db import dialect_insert
from abusebox.store.schema import (
    DeskTallyDeltaRow,
    DeskTallyRow,
    IncidentEventRow,
    IncidentRow,
    MessageRow,
    OutboxRow,
    ReportRow,
)

_OTHER: Any = literal_column("'other'")
FOLD_AT = 500  # fold once this many deltas are waiting (reading them is exact either way)
_TALLY = table_of(DeskTallyRow)
_DELTA = table_of(DeskTallyDeltaRow)


def _bucket(session: Session, column: Any, unit: str) -> Any:
    """``YYYY-MM-DD`` (unit day) or ``YYYY-MM`` (unit month) of a UTC timestamp column."""
    if session.get_bind().dialect.name == "postgresql":
        # Constants as SQL text, not parameters: GROUP BY must repeat the very expression.
        fmt: Any = literal_column("'YYYY-MM-DD'" if unit == "day" else "'YYYY-MM'")
        return func.to_char(func.timezone(literal_column("'UTC'"), column), fmt)
    return func.strftime(literal_column("'%Y-%m-%d'" if unit == "day" else "'%Y-%m'"), column)


# --- the kept counts ----------------------------------------------------------------------


def fold(session: Session, *, at_least: int = 0) -> int:
    """Move waiting deltas into desk_tally (when ``at_least`` or more wait); how many moved.

    The DELETE ... RETURNING takes exactly the rows it removes, so a delta committed
    meanwhile stays for the next fold. On PostgreSQL one folder at a time (a transaction
    advisory lock; the others just read both tables)."""
    if at_least and (session.scalar(select(func.count()).select_from(_DELTA)) or 0) < at_least:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        got = session.scalar(
            text("SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || '/desk_tally'))")
        )
        if not got:
            return 0
    moved = session.execute(
        delete(_DELTA).returning(_DELTA.c.kind, _DELTA.c.bucket, _DELTA.c.a, _DELTA.c.b, _DELTA.c.n)
    ).all()
    sums: Counter[tuple[str, str, str, str]] = Counter()
    for kind, bucket, a, b, n in moved:
        sums[(kind, bucket, a, b)] += int(n)
    for (kind, bucket, a, b), n in sorted(sums.items()):
        if n == 0:
            continue
        stmt = dialect_insert(session, _TALLY).values(kind=kind, bucket=bucket, a=a, b=b, n=n)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["kind", "bucket", "a", "b"], set_={"n": _TALLY.c.n + stmt.excluded.n}
            )
        )
    return len(moved)


def _tally(session: Session, kind: str, *where: Any) -> list[tuple[str, str, str, int]]:
    """(bucket, a, b, n) of one kind, deltas included; keys whose count is 0 left out."""
    fold(session, at_least=FOLD_AT)
    parts = [
        select(t.c.bucket, t.c.a, t.c.b, t.c.n).where(t.c.kind == kind, *(w(t) for w in where))
        for t in (_TALLY, _DELTA)
    ]
    both = union_all(*parts).subquery()
    rows = session.execute(
        select(both.c.bucket, both.c.a, both.c.b, func.sum(both.c.n)).group_by(
            both.c.bucket, both.c.a, both.c.b
        )
    )
    return [(str(bu), str(a), str(b), int(n)) for bu, a, b, n in rows if n]


def state_counts(session: Session) -> dict[str, int]:
    out: Counter[str] = Counter()
    for _month, _category, state, n in _tally(session, "incident"):
        out[state] += n
    return dict(out)


def verdict_counts(session: Session) -> dict[str, int]:
    out: Counter[str] = Counter()
    for _day, verdict, _category, n in _tally(session, "report"):
        out[verdict] += n
    return dict(out)


def message_status_counts(session: Session) -> dict[str, int]:
    return {status: n for _b, status, _c, n in _tally(session, "message")}


def reports_per_day(session: Session, since: datetime) -> list[tuple[str, str, int]]:
    """(day, category, reports) for reports received since ``since`` (a day's start, UTC)."""
    first = since.strftime("%Y-%m-%d")
    rows = _tally(session, "report", lambda t: t.c.a == "report", lambda t: t.c.bucket >= first)
    return [(day, category, n) for day, _v, category, n in rows]


def reports_per_month(session: Session) -> dict[str, int]:
    out: Counter[str] = Counter()
    for day, _v, _category, n in _tally(session, "report", lambda t: t.c.a == "report"):
        out[day[:7]] += n
    return dict(out)


def incidents_per_month(session: Session) -> list[tuple[str, str, int]]:
    """(month, category, incidents opened) over all time, live (not merged) incidents."""
    out: Counter[tuple[str, str]] = Counter()
    for month, category, _state, n in _tally(session, "incident"):
        out[(month, category)] += n
    return [(m, c, n) for (m, c), n in out.items() if n]


def coordinated_per_month(session: Session) -> dict[str, int]:
    """Incidents moved to `contacting` (the owner, an abuse contact or a CSIRT was notified)."""
    month = _bucket(session, IncidentEventRow.at, "month")
    if session.get_bind().dialect.name == "postgresql":
        # The very expression of the partial index ix_incident_events_state_to.
        to: Any = IncidentEventRow.detail.op("->>")(literal_column("'to'"))
    else:
        to = IncidentEventRow.detail["to"].as_string()
    rows = session.execute(
        select(month, func.count(func.distinct(IncidentEventRow.incident_pk)))
        .where(IncidentEventRow.action == "state", to == "contacting")
        .group_by(month)
    )
    return {str(m): int(n) for m, n in rows}


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


def ping(session: Session) -> None:
    session.execute(select(1))


# --- delays from stored timestamps (the worker may run in another process) -----------------

DELAY_KINDS = ("acknowledge", "notify", "analysis", "commit")
_MOST_ROWS = 200_000


def delays(session: Session, kind: str, since: datetime) -> list[float]:
    """Seconds, one per item finished since ``since``:

    - ``acknowledge``: a report received -> its acknowledgement sent (outbox kind ack);
    - ``notify``: an incident opened -> its first owner notification sent (kind notify);
    - ``analysis``: a message stored -> its report written (received_at -> reports.created_at);
    - ``commit``: its report written -> the message marked processed, in that commit.
    """
    pairs: list[tuple[datetime | None, datetime | None]]
    if kind == "acknowledge":
        pairs = [
            (a, b)
            for a, b in session.execute(
                select(OutboxRow.sent_at, MessageRow.received_at)
                .join(MessageRow, MessageRow.id == OutboxRow.answers_message_pk)
                .where(OutboxRow.kind == "ack", OutboxRow.status == "sent", OutboxRow.sent_at >= since)
                .limit(_MOST_ROWS)
            )
        ]
    elif kind == "notify":
        first: dict[int, datetime] = {}
        for sent_at, incidents in session.execute(
            select(OutboxRow.sent_at, OutboxRow.incidents)
            .where(OutboxRow.kind == "notify", OutboxRow.status == "sent", OutboxRow.sent_at.is_not(None))
            .limit(_MOST_ROWS)
        ):
            for pk in incidents or []:
                if isinstance(pk, int) and (pk not in first or sent_at < first[pk]):
                    first[pk] = sent_at
        wanted = [pk for pk, at in first.items() if at >= since]
        pairs = []
        for start in range(0, len(wanted), 5000):
            part = wanted[start : start + 5000]
            for pk, created in session.execute(
                select(IncidentRow.id, IncidentRow.created_at).where(IncidentRow.id.in_(part))
            ):
                pairs.append((first[pk], created))
    elif kind in ("analysis", "commit"):
        later, earlier = (
            (ReportRow.created_at, MessageRow.received_at)
            if kind == "analysis"
            else (MessageRow.processed_at, ReportRow.created_at)
        )
        pairs = [
            (a, b)
            for a, b in session.execute(
                select(later, earlier)
                .join(ReportRow, ReportRow.message_pk == MessageRow.id)
                .where(MessageRow.status == "processed", MessageRow.processed_at >= since)
                .limit(_MOST_ROWS)
            )
        ]
    else:
        raise ValueError(f"unknown delay {kind!r}")
    return [max(0.0, (a - b).total_seconds()) for a, b in pairs if a is not None and b is not None]


# --- the same counts from the rows (what the kept counts must equal) ------------------------


def direct_state_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(IncidentRow.state, func.count())
        .where(IncidentRow.merged_into_pk.is_(None))
        .group_by(IncidentRow.state)
    )
    return {state: int(n) for state, n in rows}


def direct_verdict_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(ReportRow.verdict, func.count()).group_by(ReportRow.verdict))
    return {verdict: int(n) for verdict, n in rows}


def direct_message_status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(MessageRow.status, func.count()).group_by(MessageRow.status))
    return {status: int(n) for status, n in rows}


def direct_reports_per_day(session: Session, since: datetime) -> list[tuple[str, str, int]]:
    day = _bucket(session, MessageRow.received_at, "day")
    rows = session.execute(
        select(day, func.coalesce(ReportRow.category, _OTHER), func.count())
        .join(ReportRow, ReportRow.message_pk == MessageRow.id)
        .where(ReportRow.verdict == "report", MessageRow.received_at >= since)
        .group_by(day, func.coalesce(ReportRow.category, _OTHER))
    )
    return [(str(d), str(c), int(n)) for d, c, n in rows]


def direct_reports_per_month(session: Session) -> dict[str, int]:
    month = _bucket(session, MessageRow.received_at, "month")
    rows = session.execute(
        select(month, func.count())
        .join(ReportRow, ReportRow.message_pk == MessageRow.id)
        .where(ReportRow.verdict == "report")
        .group_by(month)
    )
    return {str(m): int(n) for m, n in rows}


def direct_incidents_per_month(session: Session) -> list[tuple[str, str, int]]:
    month = _bucket(session, IncidentRow.created_at, "month")
    category = func.coalesce(IncidentRow.category, _OTHER)
    rows = session.execute(
        select(month, category, func.count())
        .where(IncidentRow.merged_into_pk.is_(None))
        .group_by(month, category)
    )
    return [(str(m), str(c), int(n)) for m, c, n in rows]
