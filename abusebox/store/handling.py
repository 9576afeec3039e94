"""SQL for a handler's structural changes: moving observations between incidents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from abusebox.store.db import chunks
from abusebox.store.schema import IncidentEventRow, IncidentRow, ObservationRow


def observation_pks(session: Session, incident_pk: int) -> list[int]:
    return list(
        session.scalars(
            select(ObservationRow.id)
            .where(ObservationRow.incident_pk == incident_pk)
            .order_by(ObservationRow.id)
        )
    )


def move_observations(session: Session, pks: list[int], from_pk: int, to_pk: int) -> list[int]:
    """Move those of ``pks`` still attached to ``from_pk``; return the ones moved."""
    if not pks:
        return []
    moving = sorted(
        pk
        for part in chunks(pks)
        for pk in session.scalars(
            select(ObservationRow.id).where(
                ObservationRow.id.in_(part), ObservationRow.incident_pk == from_pk
            )
        )
    )
    for part in chunks(moving):
        session.execute(update(ObservationRow).where(ObservationRow.id.in_(part)).values(incident_pk=to_pk))
    return moving


def last_event(session: Session, incident_pk: int, action: str) -> IncidentEventRow | None:
    return session.scalar(
        select(IncidentEventRow)
        .where(IncidentEventRow.incident_pk == incident_pk, IncidentEventRow.action == action)
        .order_by(IncidentEventRow.id.desc())
        .limit(1)
    )


def copy_incident(session: Session, original: IncidentRow, **changes: Any) -> IncidentRow:
    """A new incident with the original's key, category, ownership and enrichment."""
    fields: tuple[str, ...] = ("group_key", "key_kind", "category", "priority", "owner", "ours")
    fields += ("asn", "country", "network", "network_name", "abuse_contacts")
    row = IncidentRow(
        **{f: getattr(original, f) for f in fields},
        state="new",
        report_count=0,
        observation_count=0,
        first_seen=original.first_seen,
        last_seen=original.last_seen,
        window_start=original.window_start,
        window_end=original.window_end,
    )
    for key, value in changes.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    return row
