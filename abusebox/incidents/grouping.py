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
from typing import Any

from sqlalchemy.orm import Session

from abusebox.core.config import GroupingSettings, Settings
from abusebox.incidents import lifecycle, priority
from abusebox.incidents.constituency import Constituency, Owner
from abusebox.store import enrichment as enrichment_store
from abusebox.store import grouping as store
from abusebox.store.base import utcnow
from abusebox.store.incidents import add_events
from abusebox.store.reports import StoredObservation
from abusebox.store.schema import IncidentRow

ACTOR = "abusebox"
# An incident a batch places observations in: one loaded from the store, or one it opens.
Placed = store.StoredIncident | store.NewIncident


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
        """Attach each source observation to an incident; return the incident pks touched."""
        return self.group_batch(session, [(observations, report_category)], now=now)[0]

    def group_batch(
        self,
        session: Session,
        reports: list[tuple[list[StoredObservation], str | None]],
        *,
        now: datetime | None = None,
    ) -> list[list[int]]:
        """Group several reports, in order, as ``group_report`` would one after the other.

        Returns the incident pks each report touched; see ``place_batch``, and then the
        observations are pointed at their incidents (one executemany).
        """
        touched, assignments = self.place_batch(session, reports, now=now)
        store.assign_observations(session, assignments)
        return touched

    def place_batch(
        self,
        session: Session,
        reports: list[tuple[list[StoredObservation], str | None]],
        *,
        now: datetime | None = None,
    ) -> tuple[list[list[int]], list[tuple[int, int, str]]]:
        """``group_batch`` but for the observations' own rows, which it leaves alone.

        Returns (the incident pks each report touched, (observation pk, incident pk,
        group key) for every source observation), so that a caller whose observations
        are not inserted yet (the bulk commit, pks reserved) inserts them already
        pointing at their incidents instead of updating every row afterwards.

        A handful of statements per call, whatever the number of reports and
        observations: one query for the candidate incidents per chunk of keys (their
        union over the batch, so an incident a report opens is seen by the next), one
        executemany of the stored incidents' changes (plain values, store/grouping.py),
        one bulk insert of the new incidents (their counts final, ids reserved), one of
        events, one enqueue.
        """
        now = now or utcnow()
        owners: dict[str, Owner | None] = {}
        keys: dict[str, tuple[str, str]] = {}
        report_runs = [
            self._report_runs(session, observations, category, owners, keys, now)
            for observations, category in reports
        ]
        runs = [run for per_report in report_runs for run in per_report]
        if not runs:
            return [[] for _ in reports], []
        earliest = min(r[3][0].seen_at for r in runs) - self.window
        latest = max(m.seen_until for r in runs for m in r[3]) + self.window
        events: list[tuple[Placed, str, dict[str, Any]]] = []
        touched: list[list[Placed]] = []
        opened: list[store.NewIncident] = []
        assignments: list[tuple[int, Placed, str]] = []
        to_enrich: set[str] = set()
        # The candidates are read as stored: whatever the caller changed in the session
        # (a desk action rerunning a message) is written first.
        session.flush()
        # Before the candidates are read: another worker grouping the same keys waits here.
        store.lock_groups(session, [(key, category) for key, _kind, category, _run in runs])
        with session.no_autoflush:
            candidates: dict[tuple[str, str | None], list[tuple[Placed, Placed]]] = defaultdict(list)
            for row, target in store.groupable_candidates(
                session, [(k, c) for k, _kd, c, _r in runs], earliest, latest
            ):
                candidates[(row.group_key, row.category)].append((row, target))
            for per_report in report_runs:
                # The incidents this report touched, in first-touch order; keyed by identity
                # (an unflushed incident has no id yet), so a report of n runs costs O(n).
                mine: dict[int, Placed] = {}
                for key, kind, category, run in per_report:
                    incident, created = self._place(key, kind, category, run, owners, candidates)
                    if isinstance(incident, store.NewIncident):
                        if created:
                            opened.append(incident)
                            detail = {
                                "key": key,
                                "key_kind": incident.key_kind,
                                "category": incident.category,
                                "ours": incident.ours,
                            }
                            events.append((incident, "created", detail))
                    elif incident.state == "resolved":
                        # Through the ORM, as a handler's change would be: its event goes
                        # through the session (flushed below, before ours); it is the first
                        # of this batch for that incident either way.
                        why = f"new observation from report {run[0].report_pk} within the window"
                        orm_row = session.get(IncidentRow, incident.id)
                        assert orm_row is not None  # read in this transaction, under the group's lock
                        lifecycle.reopen(session, orm_row, why)
                        incident.state = orm_row.state
                    grouped = {"report": run[0].report_pk, "observations": len(run), "key": key}
                    events.append((incident, "grouped", grouped))
                    assignments.extend((m.pk, incident, key) for m in run)
                    if not incident.ours:
                        to_enrich.update(
                            m.observation.ip for m in run if not _inside(m.observation.ip, incident.network)
                        )
                    mine.setdefault(id(incident), incident)
                # volume as of this report, as one report at a time would see it
                for incident in mine.values():
                    escalated = priority.raise_priority(incident, self.settings.lifecycle)
                    if escalated is not None:
                        events.append((incident, "escalated", escalated))
                touched.append(list(mine.values()))
        session.flush()  # reopened incidents' states and events, before ours
        # Stored incidents' counters are added in SQL (concurrent workers); new ones are
        # inserted with their final counts.
        changed = {id(inc): inc for mine in touched for inc in mine if isinstance(inc, store.StoredIncident)}
        store.update_stored(session, list(changed.values()))
        store.insert_new_incidents(session, opened)  # their ids are needed below
        add_events(session, [(inc.id, ACTOR, action, detail) for inc, action, detail in events])
        enrichment_store.enqueue(session, sorted(to_enrich), now)
        return [[inc.id for inc in mine] for mine in touched], [
            (pk, inc.id, key) for pk, inc, key in assignments
        ]

    def _report_runs(
        self,
        session: Session,
        observations: list[StoredObservation],
        report_category: str | None,
        owners: dict[str, Owner | None],
        keys: dict[str, tuple[str, str]],
        now: datetime,
    ) -> list[tuple[str, str, str | None, list[StoredObservation]]]:
        """A report's source observations by (key, category), cut into runs a window apart."""
        buckets: dict[tuple[str, str, str | None], list[StoredObservation]] = defaultdict(list)
        for stored in observations:
            obs = stored.observation
            if obs.role != "source":
                continue
            if obs.ip not in owners:  # once per distinct source: the key may cost a cache query
                owners[obs.ip] = self.constituency.match(obs.ip)
                keys[obs.ip] = self.key_for(session, obs.ip, owners[obs.ip], now)
            key, kind = keys[obs.ip]
            buckets[(key, kind, obs.category or report_category)].append(stored)
        runs: list[tuple[str, str, str | None, list[StoredObservation]]] = []
        for (key, kind, category), members in buckets.items():
            members.sort(key=lambda m: (m.seen_at, m.pk))
            runs.extend((key, kind, category, run) for run in self._runs(members))
        return runs

    def _runs(self, members: list[StoredObservation]) -> list[list[StoredObservation]]:
        runs: list[list[StoredObservation]] = [[members[0]]]
        for prev, cur in itertools.pairwise(members):
            if cur.seen_at - prev.seen_at >= self.window:
                runs.append([])
            runs[-1].append(cur)
        return runs

    def _place(
        self,
        key: str,
        kind: str,
        category: str | None,
        run: list[StoredObservation],
        owners: dict[str, Owner | None],
        candidates: dict[tuple[str, str | None], list[tuple[Placed, Placed]]],
    ) -> tuple[Placed, bool]:
        """Choose (or open: plain values, inserted by the caller) the incident of a run and
        update its counters."""
        # The window compares reference times (a time-less observation: its report's
        # arrival); only observed times become the incident's first/last seen.
        first, last = run[0].seen_at, max(m.seen_until for m in run)
        fitting = [
            (row, target)
            for row, target in candidates[(key, category)]
            if row.window_end is not None
            and row.window_start is not None
            and row.window_end > first - self.window
            and row.window_start < last + self.window
        ]
        created = not fitting
        if fitting:
            incident = max(fitting, key=lambda pair: pair[0].window_end)[1]  # type: ignore[arg-type, return-value]
        else:
            owner = owners.get(run[0].observation.ip)
            incident = store.NewIncident(
                group_key=key,
                key_kind=kind,
                category=category,
                window_start=first,
                window_end=last,
                ours=owner is not None,
                owner=owner.owner if owner else None,
                priority=priority.initial(category, self.settings.lifecycle),
            )
            candidates[(key, category)].append((incident, incident))
        store.widen(incident, [t for m in run for t in m.observed], [first, last])
        incident.observation_count += len(run)
        # A report counts once per incident; its runs are a window apart, so two runs of
        # one report meet the same incident only when a late report bridged them.
        incident.report_count += len({m.report_pk for m in run})
        return incident, created
