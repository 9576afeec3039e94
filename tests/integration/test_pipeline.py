from __future__ import annotations

from dataclasses import replace
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from paths import EXAMPLES

from abusebox.core.config import Settings
from abusebox.core.models import RawMessage
from abusebox.pipeline.counts import Counts
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.sources.local import iter_path
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store.db import Database


def run(settings: Settings, db: Database, items: list) -> Counts:  # type: ignore[type-arg]
    counts = Counts()
    with AnalyzerPool(settings) as pool:
        for result in Pipeline(settings, db, pool).ingest(items):
            counts.add(result)
    return counts


def test_examples_become_incidents_and_a_second_run_changes_nothing(settings: Settings, db: Database) -> None:
    first = run(settings, db, list(iter_path(EXAMPLES, "examples")))
    assert (first.read, first.new, first.duplicate, first.quarantined) == (13, 13, 0, 0)
    with db.session() as session:
        incidents = incident_store.list_incidents(session)
        keys = {i.group_key for i in incidents}
        assert {"203.0.113.45", "203.0.113.77", "198.51.100.66"} <= keys
        spam = message_store.list_messages(session, verdict="spam") + message_store.list_messages(
            session, verdict="non_incident"
        )
        assert spam, "junk is stored and listed in its own queue"
        before = [(i.pk, i.report_count, i.observation_count) for i in incident_store.list_incidents(session)]

    second = run(settings, db, list(iter_path(EXAMPLES, "examples")))
    assert (second.read, second.new, second.duplicate) == (13, 0, 13)
    with db.session() as session:
        after = [(i.pk, i.report_count, i.observation_count) for i in incident_store.list_incidents(session)]
    assert after == before


def test_incident_detail_has_timeline_sources_and_reporters(settings: Settings, db: Database) -> None:
    run(settings, db, list(iter_path(EXAMPLES, "examples")))
    with db.session() as session:
        (incident,) = [i for i in incident_store.list_incidents(session) if i.group_key == "203.0.113.45"]
        detail = incident_store.get_incident(session, incident.pk)
    assert detail is not None
    assert detail.sources == ["203.0.113.45"]
    assert detail.reporters == ["security@reporter.example.net"]
    assert [e.action for e in detail.events][:2] == ["created", "grouped"]


def deep_message(parts: int) -> bytes:
    msg = MIMEMultipart()
    msg["From"] = "hostile@example.org"
    msg["Subject"] = "many parts"
    for i in range(parts):
        msg.attach(MIMEText(f"part {i} 192.0.2.{i % 250 + 1}"))
    return msg.as_bytes()


def test_over_a_limit_is_quarantined_with_reason_and_raw_kept(settings: Settings, db: Database) -> None:
    limited = replace(settings, limits=replace(settings.limits, max_parts=10))
    raw = deep_message(30)
    good = (EXAMPLES / "cur").iterdir().__next__().read_bytes()
    counts = run(limited, db, [RawMessage(raw, "t", "bad"), RawMessage(good, "t", "good")])
    assert (counts.new, counts.quarantined) == (2, 1)
    with db.session() as session:
        (bad,) = message_store.list_messages(session, status="quarantined")
        assert bad.failed_stage == "limits" and "more than 10 MIME parts" in (bad.status_reason or "")
        assert message_store.get_raw(session, bad.pk) == raw

    # Replaying with the limit raised processes it from the stored bytes.
    with AnalyzerPool(settings) as pool:
        results = list(Pipeline(settings, db, pool).replay([bad.pk]))
    assert [r.outcome for r in results] == ["processed"]
    with db.session() as session:
        assert message_store.get_message(session, bad.pk).status == "processed"  # type: ignore[union-attr]


def test_time_limit_is_enforced_and_the_worker_goes_on(settings: Settings, db: Database) -> None:
    slow = replace(settings, limits=replace(settings.limits, max_parts=200_000, message_timeout_seconds=0.2))
    raw = deep_message(40_000)  # parsing this takes well over 0.2 s
    good = sorted((EXAMPLES / "cur").iterdir())[0].read_bytes()
    counts = run(slow, db, [RawMessage(raw, "t", "slow"), RawMessage(good, "t", "good")])
    assert (counts.new, counts.quarantined) == (2, 1)
    with db.session() as session:
        (q,) = message_store.list_messages(session, status="quarantined")
        assert "time limit of 0.2 s exceeded" in (q.status_reason or "")
        assert len(message_store.list_messages(session, status="processed")) == 1
