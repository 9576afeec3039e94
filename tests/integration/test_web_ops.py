"""/healthz knows the leader from its heartbeat; the dashboard and /metrics derive time to
acknowledge, time to notify, analysis and commit delays from stored rows (SQLite, PostgreSQL)."""

from __future__ import annotations

import os
import re
from datetime import timedelta

from paths import EXAMPLES
from web_support import add_user, client, login

from abusebox.core.config import Settings
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.runtime.service import Worker
from abusebox.sources.local import iter_path
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store.db import Database
from abusebox.store.schema import IncidentRow, MessageRow, OutboxRow


def _outbox(kind: str, n: int, **values: object) -> OutboxRow:
    return OutboxRow(
        kind=kind,
        status="sent",
        recipients=["someone@example.org"],
        envelope_from="",
        subject=f"{kind} {n}",
        body="",
        raw=b"Subject: x\r\n\r\n",
        message_id=f"<{kind}{n}@test.example>",
        created_by="abusebox",
        **values,
    )


def _metric(text: str, line: str) -> float:
    match = re.search(rf"^{re.escape(line)} (\S+)$", text, re.M)
    assert match, f"{line} not in /metrics"
    return float(match.group(1))


def test_delays_on_the_dashboard_and_in_metrics(settings: Settings, db: Database) -> None:
    with AnalyzerPool(settings) as pool:
        list(Pipeline(settings, db, pool).ingest(iter_path(EXAMPLES, "examples")))
    with db.session() as session:
        reports = [m for m in message_store.list_messages(session, limit=500) if m.verdict == "report"]
        incidents = incident_store.list_incidents(session)
        assert len(reports) >= 2 and incidents
        # Two acks, 10 and 50 minutes after their reports came in; one notification 2 h
        # after its incident opened (and a later one for the same incident that must not count).
        for n, (summary, minutes) in enumerate(zip(reports[:2], (10, 50), strict=True)):
            received = session.get(MessageRow, summary.pk).received_at  # type: ignore[union-attr]
            session.add(
                _outbox(
                    "ack", n, answers_message_pk=summary.pk, sent_at=received + timedelta(minutes=minutes)
                )
            )
        opened = session.get(IncidentRow, incidents[0].pk).created_at  # type: ignore[union-attr]
        session.add(_outbox("notify", 1, incidents=[incidents[0].pk], sent_at=opened + timedelta(hours=2)))
        session.add(_outbox("notify", 2, incidents=[incidents[0].pk], sent_at=opened + timedelta(hours=5)))
        session.add(_outbox("digest", 9))
        processed = sum(1 for m in message_store.list_messages(session, limit=500) if m.verdict)
    add_user(db, "vic", "viewer")
    c = client(settings, db)
    login(c, "vic")
    page = c.get("/")
    assert page.status_code == 200
    assert re.search(
        r'id="time_to_acknowledge">.*?<td class="num">10m 00s</td><td class="num">50m 00s</td>'
        r'<td class="num">2</td>',
        page.text,
        re.S,
    )
    assert re.search(
        r'id="time_to_notify">.*?<td class="num">2h 00m</td><td class="num">2h 00m</td>'
        r'<td class="num">1</td>',
        page.text,
        re.S,
    )
    text = c.get("/metrics").text
    ack = "abusebox_time_to_acknowledge_seconds"
    assert _metric(text, f'{ack}_bucket{{le="300.0"}}') == 0
    assert _metric(text, f'{ack}_bucket{{le="900.0"}}') == 1
    assert _metric(text, f'{ack}_bucket{{le="3600.0"}}') == 2
    assert _metric(text, f"{ack}_gcount") == 2
    assert _metric(text, f"{ack}_gsum") == 3600.0
    assert _metric(text, 'abusebox_time_to_notify_seconds_bucket{le="3600.0"}') == 0
    assert _metric(text, 'abusebox_time_to_notify_seconds_bucket{le="14400.0"}') == 1
    assert _metric(text, "abusebox_time_to_notify_seconds_gcount") == 1
    # Every analysed message with a report, in the last 24 h: analysis and commit delays.
    assert _metric(text, "abusebox_analysis_seconds_gcount") == processed
    assert _metric(text, "abusebox_commit_seconds_gcount") == processed
    assert _metric(text, 'abusebox_analysis_seconds_bucket{le="+Inf"}') == processed


def test_healthz_knows_the_leader_from_its_heartbeat(settings: Settings, db: Database) -> None:
    c = client(settings, db)
    health = c.get("/healthz").json()
    assert health["database"] == "ok" and health["status"] == "degraded"
    assert health["leader"]["known"] is False and health["leader"]["holder"] is None
    worker = Worker(settings, db)
    try:
        worker._check_leadership()  # what the scheduler runs every 30 s: takes the lock, beats
        assert worker.is_leader
        health = c.get("/healthz").json()
        assert health["status"] == "ok" and health["leader"]["known"] is True
        assert health["leader"]["holder"].endswith(f":{os.getpid()}")
        assert health["leader"]["heartbeat_age_seconds"] <= 5
    finally:
        worker._step_down()
        worker.close()
        worker.pool.close()
