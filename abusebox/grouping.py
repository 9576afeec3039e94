"""Group source observations of a report into incidents (key + category within a window)."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from abusebox.config import GroupingSettings
from abusebox.store import incidents as store
from abusebox.store.reports import StoredObservation

ACTOR = "abusebox"


def group_key(ip: str, settings: GroupingSettings) -> str:
    """The grouping key of a source address under the configured key kind."""
    if settings.key == "prefix":
        net = ipaddress.ip_network(ip, strict=False)
        prefix = settings.ipv4_prefix if net.version == 4 else settings.ipv6_prefix
        if net.prefixlen >= prefix:
            return net.supernet(new_prefix=prefix).compressed
        return net.compressed
    return ip


def group_report(
    session: Session,
    observations: list[StoredObservation],
    settings: GroupingSettings,
    report_category: str | None,
) -> list[int]:
    """Attach each source observation to an incident; return the incident pks touched."""
    window = timedelta(days=settings.window_days)
    buckets: dict[tuple[str, str | None], list[StoredObservation]] = defaultdict(list)
    for stored in observations:
        if stored.observation.role != "source":
            continue
        category = stored.observation.category or report_category
        buckets[(group_key(stored.observation.ip, settings), category)].append(stored)
    touched: list[int] = []
    for (key, category), members in buckets.items():
        seen: list[datetime] = [m.seen_at for m in members]
        incident = store.find_groupable(session, key, category, min(seen) - window)
        if incident is None:
            incident = store.create_incident(
                session, group_key=key, key_kind=settings.key, category=category, seen_at=min(seen)
            )
            store.add_event(session, incident.id, ACTOR, "created", {"key": key, "category": category})
        elif incident.state == "resolved":
            incident.state = "new"
            store.add_event(session, incident.id, ACTOR, "reopened", {"reason": "new observation in window"})
        store.attach(session, incident, [m.pk for m in members], seen)
        # Incremental counts keep grouping O(1) per observation; recount() is for replay/merge.
        incident.observation_count += len(members)
        incident.report_count += 1
        store.add_event(
            session,
            incident.id,
            ACTOR,
            "grouped",
            {"report": members[0].report_pk, "observations": len(members)},
        )
        touched.append(incident.id)
    return touched
