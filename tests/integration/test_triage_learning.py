"""Desk reclassification on both databases, and what triage learns from it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage

import pytest
from paths import DATA as TEST_DATA
from sqlalchemy import select

from abusebox.core.config import Settings
from abusebox.core.models import RawMessage
from abusebox.core.reasons import Reason
from abusebox.desk import reclassify as desk
from abusebox.desk.reclassify import Reclassification
from abusebox.pipeline.analyze import analyze
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.learning import LearnedCache, load_learned
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store.db import Database
from abusebox.store.events import Event
from abusebox.store.incidents import IncidentDetail, IncidentSummary
from abusebox.store.messages import MessageSummary
from abusebox.store.schema import ReportRow

DATA = TEST_DATA / "triage"


@pytest.fixture
def pipeline(db: Database, settings: Settings) -> Iterator[Pipeline]:
    with AnalyzerPool(settings, processes=1) as pool:
        yield Pipeline(settings, db, pool)


def ingest(pipeline: Pipeline, raw: bytes, label: str) -> int:
    result = next(iter(pipeline.ingest([RawMessage(raw, "test", label)])))
    assert result.outcome == "processed", result
    assert result.message_pk is not None
    return result.message_pk


def reclassify(
    pipeline: Pipeline, pk: int, verdict: str, actor: str, note: str | None = None, **kwargs: object
) -> Reclassification:
    """One decision, in its own transaction (as the CLI and the web UI make it)."""
    with pipeline.db.session() as session:
        return desk.reclassify(session, pipeline, pk, verdict, actor, note, **kwargs)  # type: ignore[arg-type]


def list_incidents(db: Database) -> list[IncidentSummary]:
    with db.session() as session:
        return incident_store.list_incidents(session)


def get_incident(db: Database, pk: int) -> IncidentDetail | None:
    with db.session() as session:
        return incident_store.get_incident(session, pk)


def list_messages(db: Database, verdict: str) -> list[MessageSummary]:
    with db.session() as session:
        return message_store.list_messages(session, verdict=verdict)


def message_events(db: Database, pk: int) -> list[Event]:
    with db.session() as session:
        return message_store.message_events(session, pk)


def report_reasons(db: Database, pk: int) -> list[Reason]:
    with db.session() as session:
        return message_store.report_reasons(session, pk)


def verdict_row(db: Database, pk: int) -> tuple[str, str]:
    with db.session() as session:
        row = session.execute(
            select(ReportRow.verdict, ReportRow.verdict_by).where(ReportRow.message_pk == pk)
        ).one()
        return row.verdict, row.verdict_by


def test_spam_reclassified_as_report_reruns_extraction_and_groups(
    db: Database, settings: Settings, pipeline: Pipeline
) -> None:
    pk = ingest(pipeline, (DATA / "spam_with_address.eml").read_bytes(), "spam1")
    assert verdict_row(db, pk) == ("spam", "triage")
    assert list_incidents(db) == []
    assert [m.pk for m in list_messages(db, verdict="spam")] == [pk]

    result = reclassify(pipeline, pk, "report", "alice", "a customer's order log")

    assert (result.previous, result.verdict, result.outcome) == ("spam", "report", "processed")
    assert verdict_row(db, pk) == ("report", "alice")
    incidents = list_incidents(db)
    assert [i.group_key for i in incidents] == ["192.0.2.99"]
    assert list(result.incidents) == [incidents[0].pk]
    events = [(e.actor, e.action) for e in message_events(db, pk)]
    assert ("alice", "reclassified") in events and ("alice", "replayed") in events
    reasons = report_reasons(db, pk)
    assert reasons[0].text == "desk decision by alice: report (triage said spam)"

    # A later plain replay keeps the desk's verdict instead of triage's.
    list(pipeline.replay([pk]))
    assert verdict_row(db, pk) == ("report", "alice")
    assert list_incidents(db)[0].observation_count == 1


def test_report_reclassified_as_spam_detaches_its_observations(
    db: Database, settings: Settings, pipeline: Pipeline
) -> None:
    pk = ingest(pipeline, (DATA / "report_ssh_ja.eml").read_bytes(), "r1")
    assert verdict_row(db, pk) == ("report", "triage")
    (incident,) = [i for i in list_incidents(db) if i.group_key == "192.0.2.77"]
    observed = incident.observation_count  # the extractor decides how many; at least one
    assert observed >= 1

    result = reclassify(pipeline, pk, "spam", "bob", "test mail from a vendor")

    assert result.detached == {incident.pk: observed}
    assert result.incidents == ()
    assert verdict_row(db, pk) == ("spam", "bob")
    detail = get_incident(db, incident.pk)
    assert detail is not None and detail.observation_count == 0 and detail.report_count == 0
    last = detail.events[-1]
    assert (last.actor, last.action) == ("bob", "report_detached")
    assert last.detail["message"] == pk and last.detail["verdict"] == "spam"
    assert pk in [m.pk for m in list_messages(db, verdict="spam")]
    with db.session() as session:
        assert message_store.get_raw(session, pk)  # never deleted


def test_unknown_message_and_verdict_are_refused(pipeline: Pipeline) -> None:
    with pytest.raises(KeyError):
        reclassify(pipeline, 999, "spam", "alice")
    with pytest.raises(ValueError):
        reclassify(pipeline, 999, "ham", "alice")


def _offer(i: int, sender: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "abuse@abuse.example.jp"
    msg["Subject"] = f"特別会員プログラムのお知らせ {i}"
    msg["Message-ID"] = f"<offer-{i}@{sender.split('@')[1]}>"
    msg.set_content(
        f"特別会員プログラムにご招待します。会員番号 {i} 番の方限定の特典をご用意しました。"
        "プログラムへの参加手続きは簡単です。特典の詳細は会員ページでご確認ください。\n"
    )
    return msg.as_bytes()


def _report(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"soc{i}@isp{i}.example.jp"
    msg["To"] = "abuse@abuse.example.jp"
    msg["Subject"] = f"不正ログイン試行のご連絡 {i}"
    msg["Message-ID"] = f"<report-{i}@isp{i}.example.jp>"
    msg.set_content(
        f"貴組織の 192.0.2.{i + 10} から当社サーバへの不正ログイン試行を確認しました。\n"
        f"2026-11-19 09:0{i}:12 sshd: Failed password for root from 192.0.2.{i + 10}\n"
    )
    return msg.as_bytes()


def test_the_desk_classifier_changes_a_borderline_verdict(db: Database, settings: Settings) -> None:
    settings = replace(settings, triage=replace(settings.triage, classifier_min_examples=6))
    borderline = _offer(99, "member@newsletter-other.example")
    before = analyze(borderline, settings)
    assert before.verdict == "report", before.triage.reasons  # nothing junk-like a rule knows

    with AnalyzerPool(settings, processes=1) as pool:
        pipeline = Pipeline(settings, db, pool)
        for i in range(4):
            pk = ingest(pipeline, _offer(i, f"info{i}@offers{i}.example"), f"offer{i}")
            reclassify(pipeline, pk, "spam", "carol")
        for i in range(3):
            pk = ingest(pipeline, _report(i), f"report{i}")
            reclassify(pipeline, pk, "report", "carol")  # a confirmation is a decision too

        with db.session() as session:
            learned = load_learned(session, settings)
        assert learned.examples == 7 and learned.classifier is not None
        after = analyze(borderline, settings, learned)
        assert after.verdict == "spam", after.triage.reasons
        assert any("desk-trained classifier (7 examples)" in r.text for r in after.triage.reasons)

        # The same happens in the worker processes of the pipeline (learned state is shipped).
        pk = ingest(pipeline, borderline, "borderline")
        assert verdict_row(db, pk) == ("spam", "triage")

    fewer = replace(settings, triage=replace(settings.triage, classifier_min_examples=8))
    assert analyze(borderline, fewer, learned).verdict == "report"  # below the minimum: silent


def test_known_sender_is_remembered(db: Database, settings: Settings, pipeline: Pipeline) -> None:
    raw = (DATA / "question_en.eml").read_bytes()
    pk = ingest(pipeline, raw, "q1")
    assert verdict_row(db, pk)[0] == "non_incident"
    reclassify(pipeline, pk, "report", "dave", "a researcher we work with")
    with db.session() as session:
        learned = load_learned(session, settings)
    assert learned.senders == {"student@example.edu": {"report": 1}}
    # The memory keys on From, which anyone can forge: it counts only when our own MTA
    # saw DMARC pass for the address (or a verified signature binds it).
    ours = replace(settings, triage=replace(settings.triage, authserv_id="mx.example.net"))
    unauthenticated = analyze(raw.replace(b"q-881", b"q-882"), ours, learned)
    assert any("From not authenticated: no bonus" in r.text for r in unauthenticated.triage.reasons)
    authenticated = (
        b"Authentication-Results: mx.example.net; dmarc=pass header.from=example.edu\r\n"
        + raw.replace(b"q-881", b"q-883")
    )
    again = analyze(authenticated, ours, learned)
    assert again.verdict == "report", again.triage.reasons
    assert any(
        "desk classified 1 of 1 earlier messages from student@example.edu as report" in r.text
        and "no bonus" not in r.text
        for r in again.triage.reasons
    )


def test_learned_cache_reloads_only_after_a_new_decision(
    db: Database, settings: Settings, pipeline: Pipeline
) -> None:
    settings = replace(settings, triage=replace(settings.triage, learned_refresh_seconds=0.0))
    cache = LearnedCache(settings)
    with db.session() as session:
        first = cache.get(session)
        assert first.examples == 0 and cache.get(session) is first
    pk = ingest(pipeline, (DATA / "sales_en.eml").read_bytes(), "s1")
    reclassify(pipeline, pk, "spam", "erin", learned=cache)
    with db.session() as session:
        second = cache.get(session)
    assert second is not first and second.examples == 1
    assert second.senders == {"mark@growth-agency.example": {"spam": 1}}


def test_pipelines_built_per_poll_share_one_snapshot(db: Database, settings: Settings) -> None:
    with AnalyzerPool(settings, processes=1) as pool:
        first, second = Pipeline(settings, db, pool), Pipeline(settings, db, pool)
        assert first.learned is second.learned
        with db.session() as session:
            assert first.learned.get(session) is second.learned.get(session)


def test_report_to_spam_and_back_to_report_regroups_once(
    db: Database, settings: Settings, pipeline: Pipeline
) -> None:
    pk = ingest(pipeline, (DATA / "report_ssh_ja.eml").read_bytes(), "r-round")
    (incident,) = [i for i in list_incidents(db) if i.group_key == "192.0.2.77"]
    observed = incident.observation_count

    away = reclassify(pipeline, pk, "spam", "bob")
    assert away.detached == {incident.pk: observed}
    assert verdict_row(db, pk) == ("spam", "bob")
    assert pk in [m.pk for m in list_messages(db, verdict="spam")]
    # What `messages show` lists says why the message is spam now, above triage's own reasons.
    reasons = report_reasons(db, pk)
    assert reasons[0].text == "desk decision by bob: spam (triage said report)"
    assert reasons[1].text.startswith("report: score")
    (summary,) = [m for m in list_messages(db, verdict="spam") if m.pk == pk]
    assert summary.category is None  # an intrusion category means nothing for spam

    back = reclassify(pipeline, pk, "report", "carol", "it was a report after all")
    assert (back.previous, back.verdict, back.outcome) == ("spam", "report", "processed")
    assert verdict_row(db, pk) == ("report", "carol")
    assert pk not in [m.pk for m in list_messages(db, verdict="spam")]
    assert pk in [m.pk for m in list_messages(db, verdict="report")]
    # The observations are counted again, once (not added on top of the detached ones).
    regrouped = [i for i in list_incidents(db) if i.group_key == "192.0.2.77"]
    assert sum(i.observation_count for i in regrouped) == observed
    assert sum(i.report_count for i in regrouped) == 1
    reasons = report_reasons(db, pk)
    assert reasons[0].text == "desk decision by carol: report (triage said report)"
    decisions = [e.detail for e in message_events(db, pk) if e.action == "reclassified"]
    assert [(d["from"], d["to"]) for d in decisions] == [("report", "spam"), ("spam", "report")]
    # What triage learns: the latest decision counts, not both.
    with db.session() as session:
        assert load_learned(session, settings).examples == 1


def test_a_second_decision_replaces_the_first_in_the_reasons(
    db: Database, settings: Settings, pipeline: Pipeline
) -> None:
    pk = ingest(pipeline, (DATA / "spam_with_address.eml").read_bytes(), "s-twice")
    reclassify(pipeline, pk, "report", "alice")
    assert report_reasons(db, pk)[0].text == "desk decision by alice: report (triage said spam)"
    reclassify(pipeline, pk, "non_incident", "bob")
    reasons = report_reasons(db, pk)
    assert reasons[0].text == "desk decision by bob: non_incident (triage said spam)"
    assert not any(r.text.startswith("desk decision by alice") for r in reasons)
    assert verdict_row(db, pk) == ("non_incident", "bob")
    # Junk to junk keeps the message out of every incident.
    assert all(i.observation_count == 0 for i in list_incidents(db))


def test_a_decision_and_its_rerun_commit_together_or_not_at_all(
    db: Database, settings: Settings, pipeline: Pipeline
) -> None:
    pk = ingest(pipeline, (DATA / "spam_with_address.eml").read_bytes(), "s-rollback")
    with pytest.raises(RuntimeError, match="the request failed"), db.session() as session:
        result = desk.reclassify(session, pipeline, pk, "report", "alice")
        assert result.outcome == "processed" and result.incidents  # rerun and grouped, not committed
        raise RuntimeError("the request failed")
    assert verdict_row(db, pk) == ("spam", "triage")
    assert list_incidents(db) == []
    assert [e.action for e in message_events(db, pk)] == []


def test_reruns_reuse_the_pipelines_analysis_process(db: Database, pipeline: Pipeline) -> None:
    first = ingest(pipeline, (DATA / "spam_with_address.eml").read_bytes(), "s-reuse")
    second = ingest(pipeline, _offer(7, "info@offers.example"), "o-reuse")
    workers = [w.process.pid for w in pipeline.pool._workers]
    assert len(workers) == 1
    for pk in (first, second):
        assert reclassify(pipeline, pk, "report", "alice").outcome == "processed"
    assert [w.process.pid for w in pipeline.pool._workers] == workers  # no fork per decision
