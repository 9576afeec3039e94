"""What a handler does with outbox rows: approve, discard. Each is written to the timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from abusebox.store import incidents as incident_store
from abusebox.store import outbox as outbox_store

Action = Callable[[Session, int, str], "str | None"]


def approve(session: Session, pk: int, actor: str) -> str | None:
    """Approve a draft (or retry a failed row); the problem as text, or None when done."""
    return _move(session, pk, ("draft", "failed"), "approved", actor, "outbox_approved")


def discard(session: Session, pk: int, actor: str) -> str | None:
    """Discard a draft, an approved row not yet sent, or a failed one."""
    return _move(session, pk, ("draft", "approved", "failed"), "discarded", actor, "outbox_discarded")


def _move(
    session: Session, pk: int, allowed: tuple[str, ...], to: str, actor: str, action: str
) -> str | None:
    item = outbox_store.get(session, pk)
    if item is None:
        return f"no outbox mail {pk}"
    if not outbox_store.set_status(session, pk, allowed, to, actor, datetime.now(UTC)):
        return f"outbox mail {pk} is {item.status}: cannot make it {to}"
    for incident_pk in item.incidents:
        incident_store.add_event(session, incident_pk, actor, action, {"outbox": pk, "kind": item.kind})
    return None
