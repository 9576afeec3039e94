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
from abusebox.store.schema import IncidentRow, MessageRow, ObservationRow, OutboxRow, ReportRow

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


_MOST_IDS = 20_000  # beyond this many incidents a CIDR filter stays a subquery


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


def _forwards(session: Session) -> list[tuple[str | None, list[str], list[int]]]:
    """(rule, recipients, incidents) of every forward sent."""
    rows = session.execute(
        select(OutboxRow.rule, OutboxRow.recipients, OutboxRow.incidents).where(
            OutboxRow.kind == "forward", OutboxRow.status == "sent"
        )
    )
    return [
        (rule, [str(r) for r in recipients or []], [pk for pk in incidents or [] if isinstance(pk, int)])
        for rule, recipients, incidents in rows
    ]


def forwarded_incidents(session: Session, target: str) -> set[int]:
    """Incidents forwarded (a forward sent) by the [[forward]] rule named ``target`` or to
    the recipient address ``target`` (case-blind)."""
    wanted = target.strip().casefold()
    out: set[int] = set()
    for rule, recipients, incidents in _forwards(session):
        if (rule or "").casefold() == wanted or wanted in (r.casefold() for r in recipients):
            out.update(incidents)
    return out


def forward_targets(session: Session) -> list[str]:
    """The rule names and recipient addresses forwards were sent to (for the queue's filter)."""
    names: set[str] = set()
    for rule, recipients, _ in _forwards(session):
        if rule:
            names.add(rule)
        names.update(recipients)
    return sorted(names, key=str.casefold)


def query_incidents(
    session: Session,
    *,
    state: str | None = None,
    category: str | None = None,
    owner: str | None = None,
    ip: str | None = None,
    cidr: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None,
    ids: list[int] | None = None,
    forwarded_to: str | None = None,
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
        matching = select(ObservationRow.incident_pk).where(_cidr_filter(session, cidr)).distinct()
        # The incidents first (a range scan of the inet btree), then the page by their ids:
        # the planner, guessing how many match, would walk the queue's order probing each.
        pks = [pk for pk in session.scalars(matching.limit(_MOST_IDS + 1)) if pk is not None]
        where.append(IncidentRow.id.in_(pks if len(pks) <= _MOST_IDS else matching))
    if ids is not None:
        where.append(IncidentRow.id.in_(ids))
    if forwarded_to:
        where.append(IncidentRow.id.in_(sorted(forwarded_incidents(session, forwarded_to))))
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
