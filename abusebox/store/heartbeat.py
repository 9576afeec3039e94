"""The scheduler leader's heartbeat: who leads, since when, last said when (for /healthz).

The leader lock itself (store/leader.py) says nothing to other processes about who holds
it; the leader writes this row each time it checks its lock, and readers judge by its age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from abusebox.store.base import table_of, utcnow
from abusebox.store.db import dialect_insert
from abusebox.store.schema import LeaderHeartbeatRow

_TABLE = table_of(LeaderHeartbeatRow)


@dataclass(frozen=True)
class Heartbeat:
    name: str
    holder: str
    since: datetime
    at: datetime


def beat(session: Session, holder: str, *, name: str = "scheduler", now: datetime | None = None) -> None:
    """Say that ``holder`` leads now (``since`` kept while the holder stays the same)."""
    now = now or utcnow()
    stmt = dialect_insert(session, _TABLE).values(name=name, holder=holder, since=now, at=now)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={
                "at": stmt.excluded.at,
                "since": _since_kept(stmt),
                "holder": stmt.excluded.holder,
            },
        )
    )


def _since_kept(stmt: object) -> object:
    from sqlalchemy import case

    excluded = stmt.excluded  # type: ignore[attr-defined]
    return case((_TABLE.c.holder == excluded.holder, _TABLE.c.since), else_=excluded.since)


def last_beat(session: Session, name: str = "scheduler") -> Heartbeat | None:
    row = session.execute(
        select(LeaderHeartbeatRow.holder, LeaderHeartbeatRow.since, LeaderHeartbeatRow.at).where(
            LeaderHeartbeatRow.name == name
        )
    ).first()
    return None if row is None else Heartbeat(name, row[0], row[1], row[2])


STALE_AFTER_SECONDS = 120.0  # the leader beats every 30 s (runtime LEADER_CHECK_SECONDS)
