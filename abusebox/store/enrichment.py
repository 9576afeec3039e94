"""Enrichment cache (per network, with a TTL) and the retry queue (per address)."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Text, bindparam, func, literal, select, true, update
from sqlalchemy.orm import Session

from abusebox.store.base import table_of
from abusebox.store.db import dialect_insert
from abusebox.store.schema import EnrichmentQueueRow, EnrichmentRow, IncidentRow, ObservationRow

# The enqueue upsert, built once per dialect: one INSERT ... SELECT FROM unnest(addresses)
# (PostgreSQL) or json_each (SQLite) for a whole batch. A multi-row VALUES list would be
# compiled anew for every batch (seconds for one large feed), and an executemany is one
# round of statement work per address.
_ENQUEUE: dict[str, Any] = {}


@dataclass(frozen=True)
class NetworkInfo:
    """What the registries say about the network an address is in."""

    network: str  # CIDR containing the queried address
    rir: str | None = None
    asn: int | None = None
    asn_cidr: str | None = None
    country: str | None = None
    name: str | None = None
    abuse_contacts: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class QueueItem:
    pk: int
    ip: str
    attempts: int


def enqueue(session: Session, ips: list[str], now: datetime) -> None:
    """Queue addresses for enrichment; one cheap upsert, never a lookup.

    An address already pending keeps its schedule (and backoff); one done or given up
    before is queued again, so a later incident still gets enriched (the cache answers it).
    """
    if not ips:
        return
    distinct = sorted(set(ips))
    dialect = session.get_bind().dialect.name
    # One statement for any number: the addresses as one parameter (PostgreSQL: a text[];
    # SQLite: a JSON array, read back by json_each).
    addresses: Any = distinct if dialect == "postgresql" else json.dumps(distinct)
    session.connection().execute(_enqueue_statement(session, dialect), {"b_ips": addresses, "b_at": now})


def _enqueue_statement(session: Session, dialect: str) -> Any:
    if dialect not in _ENQUEUE:
        queue = table_of(EnrichmentQueueRow)
        if dialect == "postgresql":
            table = (
                func.unnest(bindparam("b_ips", type_=ARRAY(Text))).table_valued("ip").render_derived(name="t")
            )
            address = table.c.ip
        else:
            table = func.json_each(bindparam("b_ips", type_=Text)).table_valued("value")
            address = table.c.value
        stmt = dialect_insert(session, queue).from_select(
            ["ip", "status", "attempts", "next_attempt_at"],
            # WHERE: SQLite reads "SELECT ... FROM t ON CONFLICT" as a join without one.
            select(
                address, literal("pending"), literal(0), bindparam("b_at", type_=queue.c.next_attempt_at.type)
            ).where(true()),
        )
        _ENQUEUE[dialect] = stmt.on_conflict_do_update(
            index_elements=["ip"],
            set_={
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": stmt.excluded.next_attempt_at,
                "last_error": None,
            },
            where=queue.c.status != "pending",
        )
    return _ENQUEUE[dialect]


def due(session: Session, now: datetime, limit: int) -> list[QueueItem]:
    rows = session.execute(
        select(EnrichmentQueueRow.id, EnrichmentQueueRow.ip, EnrichmentQueueRow.attempts)
        .where(EnrichmentQueueRow.status == "pending", EnrichmentQueueRow.next_attempt_at <= now)
        .order_by(EnrichmentQueueRow.next_attempt_at, EnrichmentQueueRow.id)
        .limit(limit)
    ).all()
    return [QueueItem(pk, ip, attempts) for pk, ip, attempts in rows]


def pending_count(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count(EnrichmentQueueRow.id)).where(EnrichmentQueueRow.status == "pending")
        )
        or 0
    )


def queue_state(session: Session, ip: str) -> dict[str, Any] | None:
    row = session.scalar(select(EnrichmentQueueRow).where(EnrichmentQueueRow.ip == ip))
    if row is None:
        return None
    return {
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "last_error": row.last_error,
    }


def reschedule(
    session: Session, pk: int, *, attempts: int, next_at: datetime, error: str, give_up: bool
) -> None:
    session.execute(
        update(EnrichmentQueueRow)
        .where(EnrichmentQueueRow.id == pk)
        .values(
            attempts=attempts,
            next_attempt_at=next_at,
            last_error=error[:2000],
            status="failed" if give_up else "pending",
        )
    )


def finish(
    session: Session, pk: int, status: str, enrichment_pk: int | None, note: str | None = None
) -> None:
    session.execute(
        update(EnrichmentQueueRow)
        .where(EnrichmentQueueRow.id == pk)
        .values(status=status, enrichment_pk=enrichment_pk, last_error=note)
    )


def _candidate_networks(ip: str) -> list[str]:
    """Every network containing ``ip`` (/32../0 or /128../0), for an indexed IN lookup."""
    addr = ipaddress.ip_address(ip)
    bits, value, kind = addr.max_prefixlen, int(addr), type(addr)
    # Masking integers: the grouping of network/asn keys calls this once per source.
    return [
        f"{kind((value >> (bits - plen)) << (bits - plen)).compressed}/{plen}" for plen in range(bits, -1, -1)
    ]


def cached(session: Session, ip: str, now: datetime) -> tuple[int, NetworkInfo] | None:
    """The most specific unexpired cached network containing ``ip``."""
    rows = session.scalars(
        select(EnrichmentRow).where(
            EnrichmentRow.network.in_(_candidate_networks(ip)), EnrichmentRow.expires_at > now
        )
    ).all()
    if not rows:
        return None
    best = max(rows, key=lambda r: ipaddress.ip_network(r.network).prefixlen)
    return best.id, _info(best)


def _info(row: EnrichmentRow) -> NetworkInfo:
    return NetworkInfo(
        network=row.network,
        rir=row.rir,
        asn=row.asn,
        asn_cidr=row.asn_cidr,
        country=row.country,
        name=row.name,
        abuse_contacts=tuple(row.abuse_contacts or ()),
    )


def store_info(session: Session, info: NetworkInfo, now: datetime, expires_at: datetime) -> int:
    values = {
        "network": info.network,
        "rir": info.rir,
        "asn": info.asn,
        "asn_cidr": info.asn_cidr,
        "country": info.country,
        "name": (info.name or "")[:200] or None,
        "abuse_contacts": list(info.abuse_contacts),
        "raw": info.raw,
        "fetched_at": now,
        "expires_at": expires_at,
    }
    stmt = dialect_insert(session, EnrichmentRow).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["network"], set_={k: v for k, v in values.items() if k != "network"}
    )
    session.execute(stmt)
    return int(session.scalar(select(EnrichmentRow.id).where(EnrichmentRow.network == info.network)) or 0)


def external_incidents_of(session: Session, ip: str) -> list[IncidentRow]:
    """Unmerged external incidents holding a source observation of ``ip``."""
    pks = select(ObservationRow.incident_pk).where(
        ObservationRow.ip == ip, ObservationRow.role == "source", ObservationRow.incident_pk.is_not(None)
    )
    return list(
        session.scalars(
            select(IncidentRow)
            .where(IncidentRow.id.in_(pks), IncidentRow.ours.is_(False), IncidentRow.merged_into_pk.is_(None))
            .order_by(IncidentRow.id)
        )
    )
