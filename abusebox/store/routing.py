"""What the scheduled digests and forwards select: what a routing rule covers and has not had.

A rule (``[[forward]]`` or ``[[digest]]``) names categories, countries and ours/external;
``_routed`` narrows a query to the incidents it covers. Digests are observation by
observation (marked per recipient once sent, ``outbox.mark``); forwards incident by
incident (one outbox row per rule and incident, found by its cap key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.orm import Session

from abusebox.store.schema import DigestMarkRow, IncidentRow, ObservationRow, OutboxRow


@dataclass(frozen=True)
class DigestObservation:
    """An observation not yet sent to a digest recipient, with its incident's facts."""

    pk: int
    incident_pk: int
    incident_created: datetime
    group_key: str
    category: str | None
    ours: bool
    country: str | None
    asn: int | None
    ip: str
    time: datetime | None
    port: int | None
    evidence: str


def digest_candidates(
    session: Session,
    recipient: str,
    *,
    categories: list[str],
    countries: list[str],
    ours: str,
    limit: int = 20000,
) -> list[DigestObservation]:
    """Source observations in matching incidents that ``recipient`` has not been sent yet."""
    sent = select(DigestMarkRow.observation_pk).where(DigestMarkRow.recipient == recipient)
    query = (
        select(ObservationRow, IncidentRow)
        .join(IncidentRow, IncidentRow.id == ObservationRow.incident_pk)
        .where(
            ObservationRow.role == "source",
            IncidentRow.merged_into_pk.is_(None),
            ObservationRow.id.not_in(sent),
        )
        .order_by(IncidentRow.id, ObservationRow.time, ObservationRow.id)
        .limit(limit)
    )
    query = _routed(query, categories, countries, ours)
    return [
        DigestObservation(
            o.id,
            i.id,
            i.created_at,
            i.group_key,
            i.category,
            i.ours,
            i.country,
            i.asn,
            o.ip,
            o.time,
            o.port,
            o.evidence,
        )
        for o, i in session.execute(query)
    ]


def _routed(query: Any, categories: list[str], countries: list[str], ours: str) -> Any:
    """``query`` narrowed to the incidents a routing rule (forward or digest) covers."""
    if categories:
        query = query.where(IncidentRow.category.in_(categories))
    if countries:
        query = query.where(func.upper(IncidentRow.country).in_([c.upper() for c in countries]))
    if ours == "ours":
        query = query.where(IncidentRow.ours.is_(True))
    elif ours == "external":
        query = query.where(IncidentRow.ours.is_(False))
    return query


def forward_candidates(
    session: Session,
    rule: str,
    *,
    categories: list[str],
    countries: list[str],
    ours: str,
    states: tuple[str, ...] | None = None,
    limit: int = 200,
) -> list[int]:
    """Open incidents a forward rule covers that it has not forwarded yet, oldest first."""
    done = select(OutboxRow.cap_key).where(OutboxRow.kind == "forward", OutboxRow.rule == rule)
    query = (
        select(IncidentRow.id)
        .where(
            IncidentRow.merged_into_pk.is_(None),
            IncidentRow.state.not_in(("resolved", "rejected")),
            (literal(f"forward:{rule}:", String) + cast(IncidentRow.id, String)).not_in(done),
        )
        .order_by(IncidentRow.id)
        .limit(limit)
    )
    if states:
        query = query.where(IncidentRow.state.in_(states))
    query = _routed(query, categories, countries, ours)
    return list(session.scalars(query))
