"""Owner notifications (drafts a handler approves) and internal alerts, on both databases."""

from __future__ import annotations

from dataclasses import replace

from outbox_helpers import JA_REPORT, ack_settings, authenticated, example, ingest, with_header
from smtp_server import SmtpServer

from abusebox.core.config import ConstituencyNetwork, Settings
from abusebox.outbox import actions
from abusebox.outbox.sender import send_pass
from abusebox.store import incidents as incident_store
from abusebox.store import outbox as outbox_store
from abusebox.store.db import Database

OWNER = ConstituencyNetwork("203.0.113.0/25", "Example Hosting", ["noc@hosting.example.jp"], [], "ja")


def ours(settings: Settings, smtp: SmtpServer, **mail: object) -> Settings:
    settings = ack_settings(settings, smtp, alert_to=["duty@example.jp"], **mail)
    return replace(settings, constituency=[OWNER])


def rows(db: Database, kind: str) -> list[outbox_store.OutboxItem]:
    with db.session() as session:
        return outbox_store.list_items(session, kind=kind)


def test_notification_is_a_draft_until_a_handler_approves(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    settings = ours(settings, smtp)
    [result] = ingest(settings, db, authenticated(example(JA_REPORT)))
    [incident] = result.incidents
    [notify] = rows(db, "notify")
    assert notify.status == "draft" and notify.to == ["noc@hosting.example.jp"]
    assert notify.incidents == [incident]
    body = notify.body
    assert "Example Hosting 様" in body and "時刻不明" not in body
    # The period and the lines: the owner's zone (Asia/Tokyo) and UTC, from the log's own times.
    assert "(Asia/Tokyo)" in body and "(UTC)" in body
    assert "2026-11-19 22:05:13 (2026-11-19T13:05:13Z)  203.0.113.77" in body
    assert "[abusebox #" in notify.subject and "パスワード総当たり攻撃" in notify.subject
    [alert] = rows(db, "alert")
    assert alert.status == "approved" and alert.to == ["duty@example.jp"]
    assert send_pass(settings, db).summary() == "sent 2, failed 0, deferred 0"  # the ack and the alert
    assert sorted(r.rcpt_tos[0] for r in smtp.wait_for(2)) == [
        "duty@example.jp",
        "yamada@sample.example.co.jp",
    ]
    with db.session() as session:
        assert actions.approve(session, notify.id, "alice") is None
        assert actions.approve(session, notify.id, "alice") is not None  # not a draft any more
    assert send_pass(settings, db).summary() == "sent 1, failed 0, deferred 0"
    got = smtp.wait_for(3)
    assert got[-1].rcpt_tos == ["noc@hosting.example.jp"]
    msg = got[-1].message()
    assert msg["Auto-Submitted"] is None and got[-1].mail_from == "abuse@example.jp"
    assert "203.0.113.77" in msg.get_content()
    with db.session() as session:
        detail = incident_store.get_incident(session, incident)
    assert detail is not None
    actions_seen = [(e.actor, e.action) for e in detail.events if e.action.startswith("outbox_")]
    assert ("alice", "outbox_approved") in actions_seen and ("sender", "outbox_sent") in actions_seen


def test_a_later_report_refreshes_the_draft_and_policy_auto_approves(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    settings = ours(settings, smtp)
    raw = authenticated(example(JA_REPORT))
    ingest(settings, db, raw)
    [first] = rows(db, "notify")
    again = with_header(raw, "Message-ID", "<again@sample.example.co.jp>")
    ingest(settings, db, again)
    [refreshed] = rows(db, "notify")
    assert refreshed.id == first.id and refreshed.message_id == first.message_id
    assert "報告件数: 2 件" in refreshed.body
    assert len(rows(db, "alert")) == 1  # once per incident
    # Policy: this owner's notifications go out without waiting.
    auto = ours(settings, smtp, notify_auto_approve_owners=["Example Hosting"])
    other = with_header(raw, "Message-ID", "<other@sample.example.co.jp>").replace(
        b"203.0.113.77", b"203.0.113.78"
    )
    ingest(auto, db, other)
    statuses = sorted(r.status for r in rows(db, "notify"))
    assert statuses == ["approved", "draft"]
    [made] = [r for r in rows(db, "notify") if r.status == "approved"]
    with db.session() as session:
        assert outbox_store.get(session, made.id) is not None
    assert made.incidents != first.incidents
