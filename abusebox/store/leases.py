"""Leases on stored `new` messages: which worker analyses a message, and until when.

A worker claims messages (``claim_next``: the oldest free or expired ones; ``claim``:
the ones it just stored or is asked to replay), analyses them and commits the results
in a transaction that first runs ``hold``: it renews the lease of the messages it is
given (the batch's, and every quarter-lease all still in hand: pipeline/ingest.py) and
returns those the worker still holds. A message whose lease ran out and
was claimed by another worker is not in that set, so its second analysis is dropped:
a message is committed once, and so are the acknowledgements written with it.

PostgreSQL: the claim locks its candidate rows with ``FOR UPDATE SKIP LOCKED``, so
workers never wait for each other's rows; ``hold`` is an UPDATE, whose row locks last
until the commit, so a lease cannot be taken over between the check and the commit.
SQLite has one writer at a time (``BEGIN IMMEDIATE``): the same statements without the
row locks are just as safe there. Lease times are the workers' clocks (keep them in
NTP sync; a lease is minutes, skew is milliseconds).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from abusebox.core.choices import DEFAULT_LEASE_SECONDS
from abusebox.store.base import utcnow
from abusebox.store.db import chunks
from abusebox.store.schema import MessageRow

_WORKER_IDS: dict[int, str] = {}


def this_worker() -> str:
    """This process's worker name: host, pid and a random tag (a restarted pid differs)."""
    pid = os.getpid()
    if pid not in _WORKER_IDS:
        _WORKER_IDS[pid] = f"{socket.gethostname()[:120]}:{pid}:{secrets.token_hex(4)}"
    return _WORKER_IDS[pid]


@dataclass(frozen=True)
class Lease:
    """Who claims (``worker``) and for how long each claim or renewal lasts."""

    seconds: float = DEFAULT_LEASE_SECONDS
    worker: str = field(default_factory=this_worker)

    def until(self) -> datetime:
        """When a claim or renewal made now runs out."""
        return utcnow() + timedelta(seconds=self.seconds)


def _free(lease: Lease) -> ColumnElement[bool]:
    """Nobody holds it, we do, or the holder's lease has run out."""
    mine = MessageRow.claimed_by == lease.worker
    return or_(MessageRow.claimed_by.is_(None), mine, MessageRow.lease_until < utcnow())


def claim_next(
    session: Session, lease: Lease, limit: int, in_hand: set[int] | frozenset[int] = frozenset()
) -> list[tuple[int, bytes | None]]:
    """Claim up to ``limit`` of the oldest `new` messages nobody else holds; (pk, raw bytes).

    Ours are included (left by a commit the database refused for the moment), except
    ``in_hand``: those the caller is still analysing.
    """
    conditions = [MessageRow.status == "new", _free(lease)]
    if in_hand:
        conditions.append(MessageRow.id.not_in(sorted(in_hand)))
    candidates = (
        select(MessageRow.id)
        .where(*conditions)
        .order_by(MessageRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; nothing on SQLite (one writer)
    )
    rows = session.execute(
        update(MessageRow)
        .where(MessageRow.id.in_(candidates.scalar_subquery()))
        .values(claimed_by=lease.worker, lease_until=lease.until())
        .returning(MessageRow.id, MessageRow.raw),
        execution_options={"synchronize_session": False},
    ).all()
    return sorted((pk, raw) for pk, raw in rows)


def claim(session: Session, lease: Lease, pks: list[int]) -> set[int]:
    """Claim these messages where they are `new` and free (or already ours); the pks claimed."""
    until = lease.until()
    got: set[int] = set()
    for part in chunks(sorted(set(pks))):
        candidates = (
            select(MessageRow.id)
            .where(MessageRow.id.in_(part), MessageRow.status == "new", _free(lease))
            .with_for_update(skip_locked=True)
        )
        got.update(
            session.scalars(
                update(MessageRow)
                .where(MessageRow.id.in_(candidates.scalar_subquery()))
                .values(claimed_by=lease.worker, lease_until=until)
                .returning(MessageRow.id),
                execution_options={"synchronize_session": False},
            )
        )
    return got


def hold(session: Session, lease: Lease, pks: list[int]) -> set[int]:
    """The commit's guard: renew the lease of these messages; the pks still ours and `new`.

    Run in the transaction that commits the results: its row locks keep every other
    worker off these messages until then.
    """
    until = lease.until()
    got: set[int] = set()
    for part in chunks(sorted(set(pks))):
        got.update(
            session.scalars(
                update(MessageRow)
                .where(
                    MessageRow.id.in_(part),
                    MessageRow.claimed_by == lease.worker,
                    MessageRow.status == "new",
                )
                .values(lease_until=until)
                .returning(MessageRow.id),
                execution_options={"synchronize_session": False},
            )
        )
    return got


def release_dead(session: Session) -> int:
    """Free the claims of processes of this host that are gone (a crashed `ingest` or
    worker, restarted here), without waiting for their leases; how many were freed.

    Only this host's processes can be checked; claims from other machines run out with
    their lease. Freeing a live claim by mistake (a pid reused) costs only work: that
    worker's guard then drops its result.
    """
    host = socket.gethostname()[:120]
    holders = session.scalars(
        select(MessageRow.claimed_by)
        .where(MessageRow.status == "new", MessageRow.claimed_by.like(f"{host}:%"))
        .distinct()
    ).all()
    dead = [name for name in holders if name is not None and name != this_worker() and not _alive(name)]
    if not dead:
        return 0
    result = session.execute(
        update(MessageRow)
        .where(MessageRow.status == "new", MessageRow.claimed_by.in_(dead))
        .values(claimed_by=None, lease_until=None),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _alive(name: str) -> bool:
    try:
        pid = int(name.rsplit(":", 2)[1])
    except (IndexError, ValueError):
        return True  # not ours to judge
    if pid == os.getpid():
        return False  # an earlier process with our pid: this one has another tag
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder(session: Session, pk: int) -> tuple[str, str | None]:
    """(status, claimed_by) of a message."""
    status, claimed_by = session.execute(
        select(MessageRow.status, MessageRow.claimed_by).where(MessageRow.id == pk)
    ).one()
    return status, claimed_by


__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "Lease",
    "claim",
    "claim_next",
    "hold",
    "holder",
    "release_dead",
    "this_worker",
]
