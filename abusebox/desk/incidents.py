"""The desk's read model of incidents: what `incidents list|show` print and the evidence export keeps.

Built from the rows the store returns, so the CLI, the export and the web UI/API show
the same facts under the same keys.
"""

from __future__ import annotations

from typing import Any

from abusebox.core.models import format_utc
from abusebox.desk.messages import event_json
from abusebox.store.incidents import IncidentDetail, IncidentObservation, IncidentSummary


def summary_json(incident: IncidentSummary) -> dict[str, Any]:
    """One line of the incident list."""
    return {
        "id": incident.pk,
        "key": incident.group_key,
        "category": incident.category,
        "state": incident.state,
        "priority": incident.priority,
        "assignee": incident.assignee,
        "owner": incident.owner,
        "network_name": incident.network_name,
        "first_seen": format_utc(incident.first_seen),
        "last_seen": format_utc(incident.last_seen),
        "reports": incident.report_count,
        "observations": incident.observation_count,
    }


def observation_json(o: IncidentObservation) -> dict[str, Any]:
    return {
        "id": o.pk,
        "ip": o.ip,
        "time": format_utc(o.time),
        "time_end": format_utc(o.time_end),
        "category": o.category,
        "port": o.port,
        "evidence": o.evidence,
        "message_id": o.message_pk,
    }


def detail_json(detail: IncidentDetail) -> dict[str, Any]:
    """One incident with its network, observations, work log and closing record."""
    data = summary_json(detail)
    data.update(
        key_kind=detail.key_kind,
        ours=detail.ours,
        network={
            "network": detail.network,
            "name": detail.network_name,
            "asn": detail.asn,
            "country": detail.country,
            "abuse_contacts": list(detail.abuse_contacts),
        },
        merged_into=detail.merged_into,
        sources=detail.sources,
        targets=detail.targets,
        reporters=detail.reporters,
        observations=[observation_json(o) for o in detail.observations],
        events=[event_json(e) for e in detail.events],
        record={
            "cause": detail.cause,
            "recovery": detail.recovery,
            "prevention": detail.prevention,
            "lessons": detail.lessons,
            "resolution": detail.resolution,
        },
    )
    return data
