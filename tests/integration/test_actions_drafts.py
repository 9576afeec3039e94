from __future__ import annotations

from dataclasses import replace

from paths import EXAMPLES

from abusebox.core.config import ConstituencyNetwork, Settings
from abusebox.outbox.drafts import render_notification
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.sources.local import iter_path
from abusebox.store import incidents as incident_store
from abusebox.store.db import Database
from abusebox.store.incidents import IncidentDetail


def ingest_examples(settings: Settings, db: Database) -> None:
    with AnalyzerPool(settings) as pool:
        list(Pipeline(settings, db, pool).ingest(iter_path(EXAMPLES, "examples")))


def incident_for(db: Database, key: str, category: str) -> IncidentDetail | None:
    with db.session() as session:
        (found,) = [
            i.pk
            for i in incident_store.list_incidents(session)
            if i.group_key == key and i.category == category
        ]
        return incident_store.get_incident(session, found)


def test_japanese_draft_to_our_network_owner(settings: Settings, db: Database) -> None:
    ours = replace(
        settings,
        constituency=[
            ConstituencyNetwork("203.0.113.0/25", "Example Hosting", ["noc@hosting.example.jp"], [], "ja")
        ],
    )
    ingest_examples(ours, db)
    detail = incident_for(db, "203.0.113.77", "brute-force")
    assert detail is not None and detail.ours
    draft = render_notification(detail, ours)
    assert draft.to == ["noc@hosting.example.jp"] and draft.language == "ja"
    assert "パスワード総当たり攻撃に関するご連絡 (203.0.113.77)" in draft.subject
    assert "Example Hosting 様" in draft.body
    # The log line said 22:05:13 JST: shown as JST with the UTC instant beside it.
    assert "2026-11-19 22:05:13 (2026-11-19T13:05:13Z)  203.0.113.77 ポート 22" in draft.body
    assert "intrusion-attempts/brute-force" in draft.body


def test_english_draft_to_the_abuse_contact_and_bounded_evidence(settings: Settings, db: Database) -> None:
    ingest_examples(settings, db)
    detail = incident_for(db, "203.0.113.45", "brute-force")
    assert detail is not None and not detail.ours
    detail.abuse_contacts = ["abuse@isp.example.net"]
    first = next(i for i, o in enumerate(detail.observations) if o.time is not None)
    detail.observations[first] = replace(detail.observations[first], evidence="x" * 5000)
    draft = render_notification(detail, settings, "en")
    assert draft.to == ["abuse@isp.example.net"]
    assert draft.subject.endswith("brute-force activity from 203.0.113.45")
    # The period is the observations' own (the log lines'), never the report's Date header.
    assert "Seen:        2026-11-19T08:14:02Z to 2026-11-19T08:14:12Z (UTC)" in draft.body
    assert "09:32:11" not in draft.body
    assert "x" * 300 in draft.body and "x" * 301 not in draft.body
