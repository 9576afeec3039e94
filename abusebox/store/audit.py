"""The audit log: what users did or were refused outside an incident's own timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from abusebox.store.schema import AuditRow


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str | None
    address: str | None
    detail: dict[str, Any]


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    target: str | None = None,
    address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(AuditRow(actor=actor, action=action, target=target, address=address, detail=detail or {}))


def recent(session: Session, *, action: str | None = None, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if action:
        query = query.where(AuditRow.action == action)
    return [
        AuditEntry(r.at, r.actor, r.action, r.target, r.address, dict(r.detail or {}))
        for r in session.scalars(query)
    ]
