"""Priority from category and volume; automatic changes only ever escalate.

A handler may lower a priority by hand; the system never lowers it, so a desk's
judgement is not undone by the next report.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from abusebox.core.config import LifecycleSettings
from abusebox.store.grouping import NewIncident, StoredIncident
from abusebox.store.incidents import add_event
from abusebox.store.schema import IncidentRow

PRIORITIES = ("low", "normal", "high", "critical")
SYSTEM = "abusebox"


def priority_for(category: str | None, report_count: int, settings: LifecycleSettings) -> str:
    level = "normal"
    if category in settings.low_priority_categories:
        level = "low"
    if category in settings.high_priority_categories or report_count >= settings.high_priority_reports:
        level = "high"
    if report_count >= settings.critical_priority_reports:
        level = "critical"
    return level


def escalate(session: Session, incident: IncidentRow, settings: LifecycleSettings) -> bool:
    """Raise the incident's priority if category or volume call for more; record it."""
    detail = raise_priority(incident, settings)
    if detail is None:
        return False
    add_event(session, incident.id, SYSTEM, "escalated", detail)
    return True


def raise_priority(
    incident: IncidentRow | StoredIncident | NewIncident, settings: LifecycleSettings
) -> dict[str, object] | None:
    """Raise the priority in memory; the detail of the "escalated" event to record, or None.

    For callers that write their events in bulk (the ingest's batch grouping).
    """
    wanted = priority_for(incident.category, incident.report_count, settings)
    current = incident.priority if incident.priority in PRIORITIES else "normal"
    if PRIORITIES.index(wanted) <= PRIORITIES.index(current):
        return None
    incident.priority = wanted
    return {"from": current, "to": wanted, "reports": incident.report_count, "category": incident.category}


def initial(category: str | None, settings: LifecycleSettings) -> str:
    """Priority of a new incident (no event: creation is recorded already)."""
    return priority_for(category, 0, settings)
