"""Group source observations into incidents: key + category within a window.

The key kind is configurable (``[grouping] key``):
- ``ip``: the source address (default);
- ``prefix``: its IPv4 /24 or IPv6 /64 (configurable lengths);
- ``network``: the constituency entry for our own sources, else the RDAP network from
  the enrichment cache; while enrichment is not known yet, the prefix;
- ``asn``: ``AS<n>`` from the enrichment cache (our own sources: the constituency entry);
  again the prefix while unknown.
The fallback is recorded as the incident's ``key_kind`` ("prefix"), so a desk sees
which incidents were keyed before enrichment arrived (and may merge them).

Observations of one (key, category) are taken in time order and cut into runs
wherever two consecutive ones are a full window apart; each run joins an incident
whose last observation is less than a window older, or starts one. Counts are kept
incrementally, so grouping costs a few indexed statements per run, whatever the size
of the store.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from abusebox import lifecycle, priority
from abusebox.config import GroupingSettings, Settings
from abusebox.constituency import Constituency, Owner
from abusebox.store import enrichment as enrichment_store
from abusebox.store import incidents as store
from abusebox.store.reports import StoredObservation
from abusebox.store.schema import IncidentRow, utcnow

ACTOR = "abusebox"


def prefix_key(ip: str, settings: GroupingSettings) -> str:
    net = ipaddress.ip_network(ip, strict=False)
    prefix = settings.ipv4_prefix if net.version == 4 else settings.ipv6_prefix
    if net.prefixlen >= prefix:
        return net.supernet(new_prefix=prefix).compressed
    return net.compressed


def _inside(ip: str, network: str | None) -> bool:
    """Is ``ip`` in the incident's enriched network (then its facts are known already)?"""
    if network is None:
        return False
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(network, strict=False)
    except (ValueError, TypeError):
        return False


def group_key(ip: str, settings: GroupingSettings) -> str:
    """The key of a source address for the ip and prefix kinds (no lookups needed)."""
    return prefix_key(ip, settings) if settings.key == "prefix" else ip


class Grouper:
    """Built once per process (it indexes the constituency), used per report."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.constituency = Constituency(settings.constituency)
        self.window = timedelta(days=settings.grouping.window_days)

    def key_for(self, session: Session, ip: str, owner: Owner | None, now: datetime) -> tuple[str, str]:
        """(group key, key kind actually used) for a source address."""
        cfg = self.settings.grouping
        if cfg.key in ("ip", "prefix"):
            return group_key(ip, cfg), cfg.key
        if owner is not None:
            return owner.network, "network"
        hit = enrichment_store.cached(session, ip, now)
        if hit is not None:
            info = hit[1]
            if cfg.key == "network":
                return info.network, "network"
            if info.asn is not None:
                return f"AS{info.asn}", "asn"
        return prefix_key(ip, cfg), "prefix"

    def group_report(
        self,
        session: Session,
        observations: list[StoredObservation],
        report_category: str | None,
        *,
        now: datetime | None = None,
    ) -> list[int]:
        """Attach each source observation to an incident; return the incident pks touched.

        A handful of statements per call, whatever the number of observations: one query
        for the candidate incidents, one batched insert of new incidents, one of events,
        one executemany for the observations, one enqueue.
        """
        now = now or utcnow()
        buckets: dict[tuple[str, str, str | None], list[StoredObservation]] = defaultdict(list)
        owners: dict[str, Owner | None] = {}
        keys: dict[str, tuple[str, str]] = {}
        for stored in observations:
            obs = stored.observation
            if obs.role != "source":
                continue
            if obs.ip not in owners:  # once per distinct source: the key may cost a cache query
                owners[obs.ip] = self.constituency.match(obs.ip)
                keys[obs.ip] = self.key_for(session, obs.ip, owners[obs.ip], now)
            key, kind = keys[obs.ip]
            buckets[(key, kind, obs.category or report_category)].append(stored)
        if not buckets:
            return []
        runs: list[tuple[str, str, str | None, list[StoredObservation]]] = []
        for (key, kind, category), members in buckets.items():
            members.sort(key=lambda m: (m.seen_at, m.pk))
            runs.extend((key, kind, category, run) for run in self._runs(members))
        earliest = min(r[3][0].seen_at for r in runs) - self.window
        latest = max(r[3][-1].seen_at for r in runs) + self.window
        with session.no_autoflush:
            candidates: dict[tuple[str, str | None], list[tuple[IncidentRow, IncidentRow]]] = defaultdict(
                list
            )
            for row, target in store.groupable_candidates(
                session, [(k, c) for k, _kd, c, _r in runs], earliest, latest
            ):
                candidates[(row.group_key, row.category)].append((row, target))
            placed = [
                self._place(session, key, kind, category, run, owners, candidates)
                for key, kind, category, run in runs
            ]
        session.flush()  # one batched INSERT for the new incidents: their ids are needed below
        touched: list[int] = []
        assignments: list[tuple[int, int, str]] = []
        to_enrich: set[str] = set()
        for (key, _kind, _category, run), (incident, created) in zip(runs, placed, strict=True):
            if created:
                store.add_event(
                    session,
                    incident.id,
                    ACTOR,
                    "created",
                    {
                        "key": key,
                        "key_kind": incident.key_kind,
                        "category": incident.category,
                        "ours": incident.ours,
                    },
                )
            elif incident.state == "resolved":
                lifecycle.reopen(
                    session, incident, f"new observation from report {run[0].report_pk} within the window"
                )
            store.add_event(
                session,
                incident.id,
                ACTOR,
                "grouped",
                {"report": run[0].report_pk, "observations": len(run), "key": key},
            )
            assignments.extend((m.pk, incident.id, key) for m in run)
            if not incident.ours:
                to_enrich.update(
                    m.observation.ip for m in run if not _inside(m.observation.ip, incident.network)
                )
            if incident.id not in touched:
                touched.append(incident.id)
        for pk in touched:
            incident = store.incident_row(session, pk)
            if incident is not None:
                priority.escalate(session, incident, self.settings.lifecycle)
        store.assign_observations(session, assignments)
        enrichment_store.enqueue(session, sorted(to_enrich), now)
        return touched

    def _runs(self, members: list[StoredObservation]) -> list[list[StoredObservation]]:
        runs: list[list[StoredObservation]] = [[members[0]]]
        for prev, cur in itertools.pairwise(members):
            if cur.seen_at - prev.seen_at >= self.window:
                runs.append([])
            runs[-1].append(cur)
        return runs

    def _place(
        self,
        session: Session,
        key: str,
        kind: str,
        category: str | None,
        run: list[StoredObservation],
        owners: dict[str, Owner | None],
        candidates: dict[tuple[str, str | None], list[tuple[IncidentRow, IncidentRow]]],
    ) -> tuple[IncidentRow, bool]:
        """Choose (or create, unflushed) the incident of a run and update its counters."""
        first, last = run[0].seen_at, run[-1].seen_at
        fitting = [
            (row, target)
            for row, target in candidates[(key, category)]
            if row.last_seen is not None
            and row.first_seen is not None
            and row.last_seen > first - self.window
            and row.first_seen < last + self.window
        ]
        created = not fitting
        if fitting:
            incident = max(fitting, key=lambda pair: pair[0].last_seen)[1]  # type: ignore[arg-type, return-value]
        else:
            owner = owners.get(run[0].observation.ip)
            incident = store.new_incident(
                session,
                group_key=key,
                key_kind=kind,
                category=category,
                seen_at=first,
                ours=owner is not None,
                owner=owner.owner if owner else None,
                priority=priority.initial(category, self.settings.lifecycle),
            )
            candidates[(key, category)].append((incident, incident))
        store.widen(incident, [first, last])
        incident.observation_count += len(run)
        # A report counts once per incident; its runs are a window apart, so two runs of
        # one report meet the same incident only when a late report bridged them.
        incident.report_count += len({m.report_pk for m in run})
        return incident, created
