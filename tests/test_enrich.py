"""Enrichment against a local RDAP replay: real ipwhois parsing, 429, timeout, cache."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from abusebox.config import EnrichmentSettings, Settings
from abusebox.enrich.job import make_client, run_enrichment
from abusebox.grouping import Grouper
from abusebox.models import Observation
from abusebox.store import enrichment as enrichment_store
from abusebox.store.db import Database
from abusebox.store.schema import EnrichmentRow, IncidentRow
from tests.conftest import corpus_dir
from tests.incident_helpers import add_report
from tests.rdap_replay import Replay, serve

NOW = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def replay() -> Iterator[Replay]:
    with serve(corpus_dir()) as state:
        yield state


@pytest.fixture
def rdap(replay: Replay) -> Replay:
    replay.behaviour.clear()
    replay.requests.clear()
    return replay


def _settings(replay: Replay, **kw: object) -> Settings:
    enrichment = EnrichmentSettings(
        rdap_base_url=replay.base_url,
        asn_dns_server=replay.dns_server,
        asn_methods=["dns"],
        timeout_seconds=0.5,
        registry_min_interval_seconds={},
        retry_base_seconds=60.0,
        registry_cooldown_seconds=900.0,
    )
    return Settings(enrichment=replace(enrichment, **kw))  # type: ignore[arg-type]


def _ingest(db: Database, settings: Settings, ips: list[str]) -> list[int]:
    obs = [Observation(ip=ip, time=NOW - timedelta(hours=1), category="scan") for ip in ips]
    with db.session() as session:
        stored = add_report(session, obs, received=NOW)
        return Grouper(settings).group_report(session, stored, None, now=NOW)


def _incident(db: Database, ip: str) -> IncidentRow:
    with db.session() as session:
        return session.scalars(select(IncidentRow).where(IncidentRow.group_key == ip)).one()


def test_enrichment_writes_network_facts_onto_incidents(db: Database, rdap: Replay) -> None:
    settings = _settings(rdap)
    _ingest(db, settings, ["74.125.225.229", "62.239.237.1", "210.107.73.73"])
    run = run_enrichment(settings, db, now=NOW)
    assert run.looked_up == 3 and run.retried == 0
    google = _incident(db, "74.125.225.229")
    assert (google.asn, google.country, google.network, google.network_name) == (
        15169,
        "US",
        "74.125.225.0/24",
        "GOOGLE",
    )
    assert google.abuse_contacts == ["arin-contact@google.com"]  # the abuse-role entity
    bt = _incident(db, "62.239.237.1")
    assert (bt.asn, bt.country, bt.network) == (2856, "GB", "62.239.237.0/24")
    assert bt.abuse_contacts and all("@bt.com" in a for a in bt.abuse_contacts)
    kr = _incident(db, "210.107.73.73")
    assert kr.abuse_contacts == ["hostmaster@nic.or.kr"]  # IRT-KRNIC-KR holds the abuse role
    with db.session() as session:
        row = session.get(IncidentRow, google.id)
        assert row is not None
        enriched = [e for e in row.events if e.action == "enriched"]
        assert len(enriched) == 1 and enriched[0].detail["asn"] == 15169
        assert enriched[0].actor == "enrichment"
        assert (
            session.scalar(select(EnrichmentRow.asn).where(EnrichmentRow.network == "74.125.225.0/24"))
            == 15169
        )
        assert enrichment_store.queue_state(session, "74.125.225.229")["status"] == "done"  # type: ignore[index]

    # A later incident for another address of a cached network is answered from the cache.
    rdap.requests.clear()
    _ingest(db, settings, ["74.125.225.1"])
    run = run_enrichment(settings, db, now=NOW)
    assert run.from_cache == 1 and run.looked_up == 0
    assert rdap.requests == []
    assert _incident(db, "74.125.225.1").asn == 15169


def test_rate_limit_reschedules_and_cools_the_registry_down(db: Database, rdap: Replay) -> None:
    settings = _settings(rdap)
    rdap.behaviour["200.57.141.161"] = "429"
    touched = _ingest(db, settings, ["200.57.141.161", "2801:10:c000::"])  # both LACNIC
    assert len(touched) == 2  # ingest went on: incidents exist, enrichment only queued
    client = make_client(settings.enrichment)
    run = run_enrichment(settings, db, client=client, now=NOW)
    assert run.retried == 2 and run.looked_up == 0
    # The second LACNIC address was not even asked: the registry is cooling down.
    assert [p for p in rdap.requests if "/ip/" in p] == ["/lacnic/ip/200.57.141.161"]
    with db.session() as session:
        first = enrichment_store.queue_state(session, "200.57.141.161")
        second = enrichment_store.queue_state(session, "2801:10:c000::")
    assert first is not None and second is not None
    assert first["status"] == "pending" and first["attempts"] == 1
    assert "RateLimited" in first["last_error"]
    assert first["next_attempt_at"] >= NOW + timedelta(seconds=900)
    assert second["attempts"] == 0 and second["next_attempt_at"] > NOW
    assert _incident(db, "200.57.141.161").network is None
    # Nothing is due before the backoff has passed.
    assert run_enrichment(settings, db, now=NOW + timedelta(seconds=60)).looked_up == 0
    # Later, with the registry answering again, both complete.
    rdap.behaviour.clear()
    later = run_enrichment(settings, db, now=NOW + timedelta(hours=2))
    assert later.looked_up == 2
    assert _incident(db, "200.57.141.161").asn == 19373


def test_timeout_reschedules_with_exponential_backoff(db: Database, rdap: Replay) -> None:
    settings = _settings(rdap, timeout_seconds=0.3)
    rdap.behaviour["74.125.225.229"] = "slow"
    rdap.slow_seconds = 1.0
    _ingest(db, settings, ["74.125.225.229"])
    run = run_enrichment(settings, db, now=NOW)
    assert run.retried == 1
    with db.session() as session:
        state = enrichment_store.queue_state(session, "74.125.225.229")
    assert state is not None and state["attempts"] == 1
    assert state["next_attempt_at"] == NOW + timedelta(seconds=60)
    assert "LookupFailed" in state["last_error"]
    second = NOW + timedelta(seconds=61)
    run_enrichment(settings, db, now=second)
    with db.session() as session:
        state = enrichment_store.queue_state(session, "74.125.225.229")
    assert state is not None and state["attempts"] == 2
    assert state["next_attempt_at"] == second + timedelta(seconds=120)  # doubled
    rdap.behaviour.clear()
    assert run_enrichment(settings, db, now=second + timedelta(seconds=121)).looked_up == 1
    assert _incident(db, "74.125.225.229").asn == 15169


def test_offline_mode_makes_no_lookups(db: Database, rdap: Replay) -> None:
    settings = _settings(rdap, offline=True)
    _ingest(db, settings, ["74.125.225.229"])
    run = run_enrichment(settings, db, now=NOW)
    assert run.offline and run.looked_up == 0
    assert rdap.requests == []
    with db.session() as session:
        assert enrichment_store.queue_state(session, "74.125.225.229")["status"] == "pending"  # type: ignore[index]


def test_reserved_addresses_are_skipped_not_retried(db: Database, rdap: Replay) -> None:
    settings = _settings(rdap)
    _ingest(db, settings, ["10.1.2.3"])
    run = run_enrichment(settings, db, now=NOW)
    assert run.skipped == 1
    with db.session() as session:
        assert enrichment_store.queue_state(session, "10.1.2.3")["status"] == "skipped"  # type: ignore[index]
