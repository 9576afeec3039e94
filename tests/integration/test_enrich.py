"""Enrichment against a local RDAP replay: real ipwhois parsing, 429, timeout, cache."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from incident_helpers import add_report
from rdap_replay import Replay, serve
from services import corpus_dir
from sqlalchemy import select

from abusebox.core.config import EnrichmentSettings, GroupingSettings, Settings
from abusebox.core.models import Observation
from abusebox.enrich.job import make_client, run_enrichment
from abusebox.incidents.grouping import Grouper
from abusebox.store import enrichment as enrichment_store
from abusebox.store.db import Database
from abusebox.store.schema import EnrichmentQueueRow, EnrichmentRow, IncidentRow

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


def test_jpnic_and_krnic_contacts_replace_the_national_registry(db: Database, rdap: Replay) -> None:
    """APNIC names JPNIC/KRNIC themselves; the national gateway names the operator."""
    settings = _settings(rdap)
    _ingest(db, settings, ["133.1.2.5", "115.1.2.3"])
    run = run_enrichment(settings, db, now=NOW)
    assert run.looked_up == 2 and run.retried == 0
    jp = _incident(db, "133.1.2.5")
    assert (jp.network, jp.country, jp.asn) == ("133.1.0.0/16", "JP", 4730)
    assert jp.network_name == "OSAKAU-NET (Osaka University)"  # from the recorded JPNIC page
    # The technical contact's page (fetched by handle MY22537JP): E-Mail, then Reply Mail.
    assert jp.abuse_contacts == ["noc@osaka-u.example.jp", "abuse@osaka-u.example.jp"]
    assert "hostmaster@nic.ad.jp" not in jp.abuse_contacts
    assert any(p.startswith("/jpnic/") and "key=133.1.2.5" in p for p in rdap.requests)
    kr = _incident(db, "115.1.2.3")
    assert kr.network == "115.1.2.0/26" and kr.country == "KR"  # the more specific KRNIC block
    assert kr.abuse_contacts == ["kornet_ip@kt.com"]
    with db.session() as session:
        raw = session.scalar(select(EnrichmentRow.raw).where(EnrichmentRow.network == "133.1.0.0/16"))
    assert raw["nir"]["registry"] == "jpnic" and raw["rir_abuse_contacts"] == ["hostmaster@nic.ad.jp"]


def test_a_failing_national_gateway_keeps_the_apnic_answer(db: Database, rdap: Replay) -> None:
    settings = _settings(rdap)
    rdap.behaviour["jpnic"] = "down"
    _ingest(db, settings, ["133.1.2.5"])
    run = run_enrichment(settings, db, now=NOW)
    assert run.looked_up == 1 and run.retried == 0
    jp = _incident(db, "133.1.2.5")
    assert jp.network == "133.0.0.0/8" and jp.abuse_contacts == ["hostmaster@nic.ad.jp"]


class _Answers:
    """A Lookup answering from a table (the seam run_enrichment offers); raises for others."""

    def __init__(self, answers: dict[str, enrichment_store.NetworkInfo]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def lookup(self, ip: str) -> enrichment_store.NetworkInfo:
        self.asked.append(ip)
        if ip not in self.answers:
            raise ValueError(f"odd registry answer for {ip}")
        return self.answers[ip]


def test_an_unexpected_error_backs_one_address_off_and_the_job_goes_on(db: Database, rdap: Replay) -> None:
    settings = _settings(rdap)
    _ingest(db, settings, ["192.0.2.1", "198.51.100.1"])
    client = _Answers({"198.51.100.1": enrichment_store.NetworkInfo("198.51.100.0/24", asn=64500)})
    run = run_enrichment(settings, db, client=client, now=NOW)
    assert sorted(client.asked) == ["192.0.2.1", "198.51.100.1"]
    assert (run.looked_up, run.retried) == (1, 1)
    with db.session() as session:
        state = enrichment_store.queue_state(session, "192.0.2.1")
    assert state is not None and state["status"] == "pending" and state["attempts"] == 1
    assert "unexpected ValueError: odd registry answer" in state["last_error"]
    assert state["next_attempt_at"] == NOW + timedelta(seconds=60)
    assert _incident(db, "198.51.100.1").asn == 64500


def test_enrichment_refreshes_and_adds_contacts_of_a_second_network(db: Database, rdap: Replay) -> None:
    settings = replace(_settings(rdap), grouping=GroupingSettings(key="prefix"))
    first = enrichment_store.NetworkInfo(
        "192.0.2.0/25", asn=64500, name="LOW", abuse_contacts=("a@low.example",)
    )
    second = enrichment_store.NetworkInfo(
        "192.0.2.128/25", asn=64501, name="HIGH", abuse_contacts=("b@high.example",)
    )
    _ingest(db, settings, ["192.0.2.1"])
    run_enrichment(settings, db, client=_Answers({"192.0.2.1": first}), now=NOW)
    # A second source of the same /24 incident, in another registry network: it is queued
    # although the incident has a network, and its abuse contact is added.
    (pk,) = _ingest(db, settings, ["192.0.2.200"])
    run = run_enrichment(settings, db, client=_Answers({"192.0.2.200": second}), now=NOW)
    assert run.looked_up == 1
    row = _incident(db, "192.0.2.0/24")
    assert row.id == pk
    assert (row.network, row.asn, row.network_name) == ("192.0.2.0/25", 64500, "LOW")
    assert row.abuse_contacts == ["a@low.example", "b@high.example"]
    # A source inside the known network is not queued again on every report ...
    _ingest(db, settings, ["192.0.2.2"])
    with db.session() as session:
        assert enrichment_store.queue_state(session, "192.0.2.2") is None
    # ... but when an address is looked up again (cache expired), a changed answer
    # refreshes the incident, once.
    changed = replace(first, name="LOW-RENAMED", abuse_contacts=("abuse@low.example",))
    later = NOW + timedelta(days=30)
    with db.session() as session:
        enrichment_store.enqueue(session, ["192.0.2.1"], later)
    run_enrichment(settings, db, client=_Answers({"192.0.2.1": changed}), now=later)
    row = _incident(db, "192.0.2.0/24")
    assert row.network_name == "LOW-RENAMED" and row.abuse_contacts == ["abuse@low.example"]
    with db.session() as session:
        actions = [e.action for e in session.get(IncidentRow, pk).events]  # type: ignore[union-attr]
    assert actions.count("enriched") == 2 and actions.count("enriched-more") == 1
    # The same answer again writes nothing.
    with db.session() as session:
        enrichment_store.enqueue(session, ["192.0.2.1"], later)
    again = run_enrichment(settings, db, client=_Answers({}), now=later)
    assert again.from_cache == 1 and again.incidents == []


def test_enqueue_keeps_a_pending_schedule_and_requeues_what_was_done(db: Database) -> None:
    """One statement per batch (unnest / json_each): repeats queued once, a pending address
    keeps its schedule and backoff, one given up or done is queued afresh."""
    many = [f"198.51.{i // 250}.{i % 250 + 1}" for i in range(3000)]
    with db.session() as session:
        enrichment_store.enqueue(session, [*many, *many[:10], "192.0.2.1"], NOW)
    with db.session() as session:
        assert enrichment_store.pending_count(session) == 3001
        pk = session.scalar(select(EnrichmentQueueRow.id).where(EnrichmentQueueRow.ip == "192.0.2.1"))
        assert pk is not None
        enrichment_store.reschedule(
            session, pk, attempts=2, next_at=NOW + timedelta(hours=1), error="timeout", give_up=False
        )
        gone = session.scalar(select(EnrichmentQueueRow.id).where(EnrichmentQueueRow.ip == many[0]))
        assert gone is not None
        enrichment_store.reschedule(session, gone, attempts=5, next_at=NOW, error="refused", give_up=True)
    later = NOW + timedelta(minutes=5)
    with db.session() as session:
        enrichment_store.enqueue(session, ["192.0.2.1", many[0]], later)
    with db.session() as session:
        kept = enrichment_store.queue_state(session, "192.0.2.1")
        again = enrichment_store.queue_state(session, many[0])
    assert kept is not None and again is not None
    assert (kept["status"], kept["attempts"], kept["next_attempt_at"]) == (
        "pending",
        2,
        NOW + timedelta(hours=1),
    )
    assert (again["status"], again["attempts"], again["next_attempt_at"], again["last_error"]) == (
        "pending",
        0,
        later,
        None,
    )
