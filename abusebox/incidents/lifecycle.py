"""The five-step response lifecycle: states, allowed transitions, the closing record.

new -> triage (is it an incident? preserve evidence) -> contacting (notify owner, abuse
contact or CSIRT) -> recovering -> resolved; or rejected (not an incident). Every change
writes an incident_event in the caller's transaction: the incident's work log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from abusebox.core.choices import CAUSES as CAUSES
from abusebox.core.choices import INCIDENT_STATES
from abusebox.core.choices import REJECT_REASONS as REJECT_REASONS
from abusebox.core.config import Settings
from abusebox.core.errors import AbuseboxError
from abusebox.store import incidents as store
from abusebox.store.base import utcnow
from abusebox.store.db import Database
from abusebox.store.schema import IncidentRow

SYSTEM = "abusebox"

STATES = INCIDENT_STATES
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"triage", "resolved", "rejected"}),
    "triage": frozenset({"contacting", "recovering", "resolved", "rejected"}),
    "contacting": frozenset({"triage", "recovering", "resolved", "rejected"}),
    "recovering": frozenset({"contacting", "resolved"}),
    "resolved": frozenset({"triage"}),  # reopen (by a person, or a new observation)
    "rejected": frozenset({"triage"}),  # reconsider
}
REOPEN_STATE = "triage"  # a reopened incident was handled before: confirm it again


class LifecycleError(AbuseboxError):
    """A refused change, with a message fit for the handler."""


@dataclass(frozen=True)
class ClosingRecord:
    """Steps 4 and 5 of the response: what caused it, what was done, what we learnt."""

    cause: str | None = None
    recovery: str | None = None
    prevention: str | None = None
    lessons: str | None = None

    def given(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def change_state(
    session: Session,
    incident: IncidentRow,
    target: str,
    actor: str,
    *,
    note: str | None = None,
    reason: str | None = None,
    record: ClosingRecord | None = None,
    action: str = "state",
) -> None:
    """Move an incident to ``target`` or raise LifecycleError saying why not."""
    if target not in STATES:
        raise LifecycleError(f"unknown state {target!r}; states are: {', '.join(STATES)}")
    current = incident.state
    if not allowed(current, target):
        options = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none"
        raise LifecycleError(
            f"incident {incident.id}: cannot go from {current} to {target} "
            f"(allowed from {current}: {options})"
        )
    if target == "rejected" and reason not in REJECT_REASONS:
        raise LifecycleError(f"rejecting needs --reason, one of: {', '.join(REJECT_REASONS)}")
    record = record or ClosingRecord()
    if record.cause is not None and record.cause not in CAUSES:
        raise LifecycleError(f"cause must be one of: {', '.join(CAUSES)}")
    for key, value in record.given().items():
        setattr(incident, key, value)
    if target == "resolved" and incident.ours and actor != SYSTEM:
        missing = [k for k in ("cause", "recovery", "prevention", "lessons") if not getattr(incident, k)]
        if missing:
            raise LifecycleError(
                f"incident {incident.id} is in our constituency ({incident.owner or 'ours'}): resolving it "
                f"needs the closing record; missing: {', '.join('--' + m for m in missing)}"
            )
    incident.state = target
    incident.last_activity_at = utcnow()
    if target == "rejected":
        incident.resolution = f"rejected: {reason}" + (f": {note}" if note else "")
    elif target == "resolved":
        incident.resolution = note or incident.resolution
    detail: dict[str, object] = {"from": current, "to": target}
    if note:
        detail["note"] = note
    if reason:
        detail["reason"] = reason
    if record.given():
        detail["record"] = record.given()
    store.add_event(session, incident.id, actor, action, detail)


def reopen(session: Session, incident: IncidentRow, why: str) -> None:
    """A new observation within the window brings a resolved incident back."""
    change_state(session, incident, REOPEN_STATE, SYSTEM, note=why, action="reopened")


def set_state(
    db: Database,
    pk: int,
    target: str,
    actor: str,
    *,
    note: str | None = None,
    reason: str | None = None,
    record: ClosingRecord | None = None,
) -> None:
    """A handler's change, in its own transaction."""
    with db.session() as session:
        change_state(session, _get(session, pk), target, actor, note=note, reason=reason, record=record)


def assign(db: Database, pk: int, assignee: str, actor: str) -> None:
    with db.session() as session:
        incident = _get(session, pk)
        before = incident.assignee
        incident.assignee = assignee
        incident.last_activity_at = utcnow()
        store.add_event(session, pk, actor, "assigned", {"from": before, "to": assignee})


def auto_resolve(settings: Settings, db: Database, *, now: datetime | None = None) -> list[int]:
    """Resolve incidents quiet (no observation, no handling) for the configured period."""
    cfg = settings.lifecycle
    if cfg.auto_resolve_quiet_days <= 0:
        return []
    now = now or utcnow()
    cutoff = now - timedelta(days=cfg.auto_resolve_quiet_days)
    done: list[int] = []
    with db.session() as session:
        for incident in store.quiet_incidents(session, list(cfg.auto_resolve_states), cutoff):
            if not allowed(incident.state, "resolved"):
                continue
            change_state(
                session,
                incident,
                "resolved",
                SYSTEM,
                note=f"no activity for {cfg.auto_resolve_quiet_days:g} days",
                action="auto-resolved",
            )
            done.append(incident.id)
    return done


def _get(session: Session, pk: int) -> IncidentRow:
    incident = store.incident_row(session, pk)
    if incident is None:
        raise LifecycleError(f"no incident {pk}")
    if incident.merged_into_pk is not None:
        raise LifecycleError(f"incident {pk} was merged into {incident.merged_into_pk}: work on that one")
    return incident
