"""The incident queue and search for the desk's pages: filters, sorting, pages, totals.

CIDR matching uses PostgreSQL's ``inet`` operators; SQLite has none, so there the distinct
observed addresses (read from the ip index) are matched in Python.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from abusebox.store.incidents import IncidentSummary, _summary_fields
from abusebox.store.messages import MessageSummary, get_message
from abusebox.store.schema import IncidentRow, MessageRow, ObservationRow, ReportRow

# An incident none of whose observations has a time has no first/last seen: it sorts
# after the dated ones, on SQLite and PostgreSQL alike (their NULL orders differ).
SORTS = {
    "last_seen": (IncidentRow.last_seen.desc().nulls_last(), IncidentRow.id.desc()),
    "first_seen": (IncidentRow.first_seen.asc().nulls_last(), IncidentRow.id.asc()),
    "priority": (
        IncidentRow.priority.desc(),
        IncidentRow.last_seen.desc().nulls_last(),
        IncidentRow.id.desc(),
    ),
    "reports": (IncidentRow.report_count.desc(), IncidentRow.id.desc()),
}


@dataclass(frozen=True)
class QueuePage:
    incidents: list[IncidentSummary]
    total: int


def _cidr_filter(
    session: Session, network: ipaddress.IPv4Network | ipaddress.IPv6Network
) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import INET

        return cast(ObservationRow.ip, INET).op("<<=")(cast(literal(str(network), String), INET))
    ips = [ip for ip in session.scalars(select(ObservationRow.ip).distinct()) if _inside(ip, network)]
    return ObservationRow.ip.in_(ips)


def _inside(ip: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(ip) in network
    except ValueError:
        return False


def query_incidents(
    session: Session,
    *,
    state: str | None = None,
    category: str | None = None,
    owner: str | None = None,
    ip: str | None = None,
    cidr: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None,
    ids: list[int] | None = None,
    sort: str = "last_seen",
    limit: int = 50,
    offset: int = 0,
) -> QueuePage:
    """One page of live (not merged) incidents matching every filter given, and how many match."""
    where: list[ColumnElement[bool]] = [IncidentRow.merged_into_pk.is_(None)]
    if state:
        where.append(IncidentRow.state == state)
    if category:
        where.append(IncidentRow.category == category)
    if owner:
        wanted = owner.casefold()
        where.append(
            or_(
                func.lower(IncidentRow.owner) == wanted,
                func.lower(IncidentRow.network_name) == wanted,
                IncidentRow.network == owner,
            )
        )
    if ip:
        where.append(IncidentRow.id.in_(select(ObservationRow.incident_pk).where(ObservationRow.ip == ip)))
    if cidr is not None:
        where.append(
            IncidentRow.id.in_(select(ObservationRow.incident_pk).where(_cidr_filter(session, cidr)))
        )
    if ids is not None:
        where.append(IncidentRow.id.in_(ids))
    total = session.scalar(select(func.count()).select_from(IncidentRow).where(*where)) or 0
    rows = session.scalars(
        select(IncidentRow)
        .where(*where)
        .order_by(*SORTS.get(sort, SORTS["last_seen"]))
        .limit(limit)
        .offset(offset)
    )
    return QueuePage([IncidentSummary(**_summary_fields(r)) for r in rows], int(total))


def messages_matching(
    session: Session,
    *,
    address: str | None = None,
    message_id: str | None = None,
    subject_contains: str | None = None,
    ip: str | None = None,
    limit: int = 50,
) -> list[MessageSummary]:
    """Messages by sender or reporter address, Message-ID header, subject text or observed IP."""
    query = select(MessageRow.id).order_by(MessageRow.id.desc()).limit(limit)
    if address:
        folded = address.casefold()
        query = query.outerjoin(ReportRow, ReportRow.message_pk == MessageRow.id).where(
            or_(func.lower(MessageRow.from_addr) == folded, func.lower(ReportRow.reporter) == folded)
        )
    if message_id:
        bare = message_id.strip().strip("<>")
        query = query.where(MessageRow.message_id_header.in_([bare, f"<{bare}>"]))
    if subject_contains:
        escaped = subject_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(MessageRow.subject.like(f"%{escaped}%", escape="\\"))
    if ip:
        query = query.where(
            MessageRow.id.in_(
                select(ReportRow.message_pk)
                .join(ObservationRow, ObservationRow.report_pk == ReportRow.id)
                .where(ObservationRow.ip == ip)
            )
        )
    out = []
    for pk in session.scalars(query):
        summary = get_message(session, pk)
        if summary is not None:
            out.append(summary)
    return out
