"""Failed sign-ins per key (``user:NAME``, ``addr:ADDRESS``) in the database: throttling
holds across server processes and restarts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from abusebox.store.base import table_of
from abusebox.store.schema import LoginFailureRow

_TABLE = table_of(LoginFailureRow)


def failures_since(session: Session, keys: list[str], since: datetime) -> dict[str, int]:
    rows = session.execute(
        select(LoginFailureRow.key, func.count())
        .where(LoginFailureRow.key.in_(keys), LoginFailureRow.at > since)
        .group_by(LoginFailureRow.key)
    )
    return {key: int(n) for key, n in rows}


def record_failure(session: Session, keys: list[str], at: datetime) -> None:
    session.execute(insert(_TABLE), [{"key": key, "at": at} for key in keys])


def forget(session: Session, key: str) -> None:
    session.execute(delete(_TABLE).where(_TABLE.c.key == key))


def prune(session: Session, before: datetime) -> int:
    """Drop failures older than the window: they no longer count."""
    result = session.execute(delete(_TABLE).where(_TABLE.c.at <= before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
