"""Replies about our tickets land on the incident's timeline, never as reports, never acked.

Both databases: a reply carrying our ticket tag, a reply naming our Message-ID only, our
own acknowledgement coming back (a copy), and a bounce quoting it: no loop, no new ack.
"""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from outbox_helpers import EN_REPORT, ack_settings, acks, authenticated, example, ingest
from smtp_server import SmtpServer

from abusebox.core.config import Settings
from abusebox.outbox.sender import send_pass
from abusebox.store import incidents as incident_store
from abusebox.store.db import Database

REPLY = """From: Security Team <security@reporter.example.net>
To: abuse@example.jp
Subject: {subject}
Date: Fri, 20 Nov 2026 10:00:00 +0100
Message-ID: <reply-{n}@reporter.example.net>
{extra}Content-Type: text/plain; charset=utf-8

Any news? We still see 203.0.113.45 and now 203.0.113.46 attacking:
Nov 20 09:14:02 web01 sshd[2211]: Failed password for root from 203.0.113.46 port 53122 ssh2
"""


def first_ack(settings: Settings, db: Database, smtp: SmtpServer) -> tuple[int, str, str]:
    [result] = ingest(settings, db, authenticated(example(EN_REPORT)))
    send_pass(settings, db)
    [got] = smtp.wait_for(1)
    msg = got.message()
    return result.incidents[0], msg["Subject"].strip(), msg["Message-ID"]


def events(db: Database, incident: int) -> list[tuple[str, dict[str, object]]]:
    with db.session() as session:
        detail = incident_store.get_incident(session, incident)
    assert detail is not None
    return [(e.action, e.detail) for e in detail.events]


def report_count(db: Database, incident: int) -> int:
    with db.session() as session:
        row = incident_store.incident_row(session, incident)
        assert row is not None
        return row.report_count


def reply(n: int, subject: str, extra: str = "") -> bytes:
    return authenticated(REPLY.format(subject=subject, n=n, extra=extra).replace("\n", "\r\n").encode())


def test_reply_with_our_ticket_tag_lands_on_the_timeline(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    settings = ack_settings(settings, smtp)
    incident, subject, _msgid = first_ack(settings, db, smtp)
    before = report_count(db, incident)
    [result] = ingest(settings, db, reply(1, f"Re: {subject}"))
    assert result.verdict == "non_incident" and result.incidents == ()
    assert report_count(db, incident) == before
    found = [d for action, d in events(db, incident) if action == "correspondence"]
    assert len(found) == 1 and found[0]["message"] == result.message_pk
    assert "ticket tag" in str(found[0]["why"])
    assert len(acks(db)) == 1  # never acknowledged
    send_pass(settings, db)
    assert len(smtp.messages) == 1


def test_reply_naming_our_message_id_only(db: Database, settings: Settings, smtp: SmtpServer) -> None:
    settings = ack_settings(settings, smtp)
    incident, _subject, msgid = first_ack(settings, db, smtp)
    [result] = ingest(settings, db, reply(2, "Re: your mail", extra=f"In-Reply-To: {msgid}\n"))
    assert result.verdict == "non_incident"
    assert any(a == "correspondence" for a, _d in events(db, incident))
    assert len(acks(db)) == 1


def test_a_tag_of_a_ticket_that_does_not_exist_is_not_correspondence(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    settings = ack_settings(settings, smtp)
    [result] = ingest(settings, db, reply(3, "Re: report [abusebox #2026-009999]"))
    assert result.verdict == "report"


def test_our_own_mail_coming_back_never_loops(db: Database, settings: Settings, smtp: SmtpServer) -> None:
    settings = ack_settings(settings, smtp)
    incident, _subject, msgid = first_ack(settings, db, smtp)
    copy = smtp.messages[0].data
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.jp>"
    bounce["To"] = "abuse@example.jp"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = "<bounce-2@mx.example.jp>"
    bounce["Auto-Submitted"] = "auto-replied"
    bounce.set_content("Your message could not be delivered: 550 5.1.1 User unknown\n")
    bounce.add_attachment(message_from_bytes(copy, policy=default))
    results = ingest(settings, db, copy, bytes(bounce))
    assert all(r.verdict != "report" for r in results), results
    assert len(acks(db)) == 1
    # The copy is recognised by its Message-ID, and so is the bounce by the copy inside it
    # (its Message-ID survives the analysis pool); the bounce stays automated, never answered.
    logged = [d["message"] for a, d in events(db, incident) if a == "correspondence"]
    assert logged == [results[0].message_pk, results[1].message_pk], results
    assert results[1].verdict == "automated"
    assert msgid
    send_pass(settings, db)
    assert len(smtp.messages) == 1
