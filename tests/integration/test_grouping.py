"""Grouping: exact incident counts against a reference implementation, keys, runs."""

from __future__ import annotations

import ipaddress
import itertools
import random
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from incident_helpers import add_report
from sqlalchemy import func, select

from abusebox.core.config import ConstituencyNetwork, GroupingSettings, Settings
from abusebox.core.models import Observation
from abusebox.incidents.grouping import Grouper
from abusebox.store.db import Database
from abusebox.store.enrichment import NetworkInfo, store_info
from abusebox.store.schema import IncidentRow, ObservationRow

START = datetime(2026, 1, 1, tzinfo=UTC)
CATEGORIES = ("scan", "brute-force", "spam")


def generate(seed: int = 7) -> list[Observation]:
    """10,000 observations over 500 sources (IPv4 and IPv6), 3 categories, 60 days."""
    rng = random.Random(seed)
    ips = [f"198.51.{rng.randrange(0, 40)}.{rng.randrange(1, 255)}" for _ in range(2000)]
    v4 = list(dict.fromkeys(ips))[:450]
    v6 = [str(ipaddress.IPv6Address(f"2001:db8:{rng.randrange(0, 5):x}::{n:x}")) for n in range(1, 51)]
    sources = v4 + v6
    assert len(set(sources)) == 500
    out = []
    for _ in range(10_000):
        t = START + timedelta(seconds=rng.randrange(0, 60 * 86400))
        out.append(Observation(ip=rng.choice(sources), time=t, category=rng.choice(CATEGORIES), port=22))
    out.sort(key=lambda o: o.time)  # type: ignore[arg-type, return-value]
    return out


def reference_count(observations: list[Observation], key, window: timedelta) -> int:  # type: ignore[no-untyped-def]
    """Independent count: per (key, category), 1 + the gaps of a full window or more."""
    series: dict[tuple[str, str | None], list[datetime]] = defaultdict(list)
    for o in observations:
        series[(key(o.ip), o.category)].append(o.time)  # type: ignore[arg-type]
    total = 0
    for times in series.values():
        times.sort()
        total += 1 + sum(1 for a, b in itertools.pairwise(times) if b - a >= window)
    return total


DATA = generate()


# For the network and asn keys: one constituency network and three cached RDAP answers;
# the remaining sources are unknown and fall back to their prefix.
OURS = ipaddress.ip_network("198.51.0.0/20")
CACHED = {
    ipaddress.ip_network("198.51.16.0/21"): 64501,
    ipaddress.ip_network("198.51.24.0/22"): 64502,
    ipaddress.ip_network("2001:db8:1::/48"): 64503,
}


def reference_key(kind: str, ip: str) -> str:
    """The expected key, computed here from the definitions, not by the code under test."""
    addr = ipaddress.ip_address(ip)
    prefix = ipaddress.ip_network(f"{ip}/{24 if addr.version == 4 else 64}", strict=False).compressed
    if kind == "ip":
        return ip
    if kind == "prefix":
        return prefix
    if addr in OURS:
        return OURS.compressed
    for net, asn in CACHED.items():
        if addr in net:
            return net.compressed if kind == "network" else f"AS{asn}"
    return prefix


@pytest.mark.parametrize(
    ("key", "window_days"),
    [("ip", 7.0), ("prefix", 1.0), ("network", 7.0), ("asn", 3.0)],
)
def test_incident_counts_match_reference(db: Database, key: str, window_days: float) -> None:
    grouping = GroupingSettings(key=key, window_days=window_days)  # type: ignore[arg-type]
    grouper = Grouper(Settings(grouping=grouping, constituency=[ConstituencyNetwork(OURS.compressed, "lab")]))
    if key in ("network", "asn"):
        with db.session() as session:
            for net, asn in CACHED.items():
                info = NetworkInfo(net.compressed, rir="arin", asn=asn)
                store_info(session, info, START, START + timedelta(days=365))
    for start in range(0, len(DATA), 100):  # reports of 100 observations, in time order
        chunk = DATA[start : start + 100]
        with db.session() as session:
            stored = add_report(session, chunk, received=chunk[-1].time)  # type: ignore[arg-type]
            grouper.group_report(session, stored, None, now=START)
    expected = reference_count(DATA, lambda ip: reference_key(key, ip), timedelta(days=window_days))
    with db.session() as session:
        count = session.scalar(select(func.count(IncidentRow.id)))
        obs_total = session.scalar(select(func.sum(IncidentRow.observation_count)))
        unassigned = session.scalar(
            select(func.count(ObservationRow.id)).where(ObservationRow.incident_pk.is_(None))
        )
        keyed = session.scalar(
            select(func.count(ObservationRow.id)).where(ObservationRow.group_key.is_not(None))
        )
        kinds = set(session.scalars(select(IncidentRow.key_kind)))
    assert count == expected
    assert obs_total == len(DATA)
    assert unassigned == 0
    assert keyed == len(DATA)
    # Coarser keys group strictly more coarsely than the ip key, so the test can tell them apart.
    if key != "ip":
        assert expected < reference_count(DATA, lambda ip: ip, timedelta(days=window_days))
    if key in ("network", "asn"):  # all three ways of keying occurred
        assert kinds == {"network", "prefix", key}


def _obs(ip: str, day: float, category: str = "scan") -> Observation:
    return Observation(ip=ip, time=START + timedelta(days=day), category=category)


def test_one_report_spanning_gaps_feeds_several_incidents(db: Database) -> None:
    grouper = Grouper(Settings())
    with db.session() as session:
        stored = add_report(
            session,
            [_obs("192.0.2.1", 0), _obs("192.0.2.1", 3), _obs("192.0.2.1", 20), _obs("192.0.2.2", 1, "dos")],
            received=START,
        )
        touched = grouper.group_report(session, stored, None)
    assert len(touched) == 3
    with db.session() as session:
        rows = session.scalars(select(IncidentRow).order_by(IncidentRow.id)).all()
        assert [(r.group_key, r.category, r.observation_count, r.report_count) for r in rows] == [
            ("192.0.2.1", "scan", 2, 1),
            ("192.0.2.1", "scan", 1, 1),
            ("192.0.2.2", "dos", 1, 1),
        ]
        assert rows[0].first_seen == START and rows[0].last_seen == START + timedelta(days=3)


def test_constituency_sets_ours_and_network_key(db: Database) -> None:
    settings = Settings(
        grouping=GroupingSettings(key="network"),
        constituency=[
            ConstituencyNetwork("203.0.113.0/24", "lab", contacts=["lab@example.jp"]),
            ConstituencyNetwork("203.0.113.128/25", "dorm"),
        ],
    )
    grouper = Grouper(settings)
    with db.session() as session:
        stored = add_report(
            session,
            [
                _obs("203.0.113.200", 0),
                _obs("203.0.113.201", 0.5),
                _obs("203.0.113.5", 0),
                _obs("192.0.2.9", 0),
            ],
            received=START,
        )
        grouper.group_report(session, stored, None)
    with db.session() as session:
        rows = session.scalars(select(IncidentRow).order_by(IncidentRow.group_key)).all()
        facts = {(r.group_key, r.key_kind, r.ours, r.owner, r.observation_count) for r in rows}
    assert facts == {
        ("203.0.113.128/25", "network", True, "dorm", 2),
        ("203.0.113.0/24", "network", True, "lab", 1),
        # external and not enriched yet: falls back to the prefix
        ("192.0.2.0/24", "prefix", False, None, 1),
    }


def test_volume_escalates_priority_with_an_event(db: Database) -> None:
    settings = Settings()
    settings = replace(settings, lifecycle=replace(settings.lifecycle, high_priority_reports=3))
    grouper = Grouper(settings)
    for n in range(3):
        with db.session() as session:
            stored = add_report(session, [_obs("192.0.2.1", n * 0.1, "brute-force")], received=START)
            grouper.group_report(session, stored, None)
    with db.session() as session:
        row = session.scalars(select(IncidentRow)).one()
        assert row.priority == "high"
        actions = [e.action for e in row.events]
    assert actions.count("escalated") == 1
    assert actions.count("grouped") == 3
