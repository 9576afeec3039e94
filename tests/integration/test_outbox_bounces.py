"""Bounces (RFC 3464 DSNs) of our own mail are linked to their outbox row; replays log once.

Both databases. A permanent DSN (5.x.x) quoting our acknowledgement as message/rfc822
makes the row `failed` with the DSN's Status and Diagnostic-Code; a delay quoting only
its headers (text/rfc822-headers) keeps it `sent`. Either is on the incident's timeline,
is never acknowledged (no loop), and a replay of the DSN or of a reply adds no second event.
"""

from __future__ import annotations

from outbox_helpers import EN_REPORT, ack_settings, acks, authenticated, example, ingest, item
from smtp_server import Received, SmtpServer

from abusebox.core.config import Settings
from abusebox.outbox.bounces import parse_dsn
from abusebox.outbox.sender import send_pass
from abusebox.pipeline.counts import IngestResult
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store.db import Database

DIAGNOSTIC = "smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown"


def dsn(
    original: bytes,
    rcpt: str,
    *,
    n: int = 1,
    action: str = "failed",
    status: str = "5.1.1",
    headers_only: bool = False,
) -> bytes:
    """A Postfix-style DSN about ``original`` (as message/rfc822 or text/rfc822-headers)."""
    head, _, _body = original.replace(b"\r\n", b"\n").partition(b"\n\n")
    quoted_type = "text/rfc822-headers" if headers_only else "message/rfc822"
    quoted = head + b"\n" if headers_only else original.replace(b"\r\n", b"\n")
    diagnostic = DIAGNOSTIC.format(rcpt=rcpt) if action == "failed" else "smtp; 451 4.4.1 try later"
    text = f"""From: Mail Delivery System <MAILER-DAEMON@mx.reporter.example>
To: abuse@example.jp
Subject: Undelivered Mail Returned to Sender
Date: Fri, 20 Nov 2026 10:00:00 +0000
Message-ID: <dsn-{n}@mx.reporter.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND{n}"

--BOUND{n}
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.reporter.example. Your message could not be delivered.

--BOUND{n}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.reporter.example
Arrival-Date: Fri, 20 Nov 2026 09:59:58 +0000

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: {action}
Status: {status}
Diagnostic-Code: {diagnostic}

--BOUND{n}
Content-Type: {quoted_type}

"""
    return (text.encode() + quoted + f"\n--BOUND{n}--\n".encode()).replace(b"\n", b"\r\n")


def acked(settings: Settings, db: Database, smtp: SmtpServer) -> tuple[int, int, Received]:
    """(incident, outbox row, the acknowledgement as received) for one report."""
    [result] = ingest(settings, db, authenticated(example(EN_REPORT)))
    assert send_pass(settings, db).summary() == "sent 1, failed 0, deferred 0"
    [got] = smtp.wait_for(1)
    [ack] = acks(db)
    return result.incidents[0], ack.id, got


def timeline(db: Database, incident: int, action: str) -> list[dict[str, object]]:
    with db.session() as session:
        detail = incident_store.get_incident(session, incident)
    assert detail is not None
    return [e.detail for e in detail.events if e.action == action]


def replay(settings: Settings, db: Database, pk: int) -> list[IngestResult]:
    with AnalyzerPool(settings) as pool:
        return list(Pipeline(settings, db, pool).replay([pk]))


def test_permanent_bounce_fails_the_row_and_is_on_the_timeline(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    settings = ack_settings(settings, smtp)
    incident, pk, got = acked(settings, db, smtp)
    [rcpt] = got.rcpt_tos
    [result] = ingest(settings, db, dsn(got.data, rcpt))
    assert result.verdict == "automated" and result.incidents == ()
    row = item(db, pk)
    assert row.status == "failed" and row.sent_at is not None
    error = row.last_error or ""
    assert "bounced" in error and "5.1.1" in error and "User unknown" in error and rcpt in error
    [event] = timeline(db, incident, "outbox_bounced")
    assert event["outbox"] == pk and event["message"] == result.message_pk and event["permanent"] is True
    assert len(acks(db)) == 1  # the bounce is never answered
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 0"
    assert len(smtp.messages) == 1
    # Replayed twice: still one event, the same mark.
    for _ in range(2):
        assert [r.outcome for r in replay(settings, db, result.message_pk)] == ["processed"]
    assert len(timeline(db, incident, "outbox_bounced")) == 1
    assert item(db, pk).status == "failed" and item(db, pk).last_error == row.last_error
    with db.session() as session:
        ledger = message_store.message_events(session, result.message_pk)
    assert [e.action for e in ledger].count("correspondence") == 1
    assert len(acks(db)) == 1


def test_delay_quoting_headers_only_keeps_the_row_sent(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    settings = ack_settings(settings, smtp)
    incident, pk, got = acked(settings, db, smtp)
    [rcpt] = got.rcpt_tos
    raw = dsn(got.data, rcpt, n=2, action="delayed", status="4.4.1", headers_only=True)
    [result] = ingest(settings, db, raw)
    assert result.verdict == "automated"
    row = item(db, pk)
    assert row.status == "sent"
    assert "delayed 4.4.1" in (row.last_error or "") and "try later" in (row.last_error or "")
    [event] = timeline(db, incident, "outbox_bounced")
    assert event["permanent"] is False and event["outbox"] == pk
    assert len(acks(db)) == 1


def test_a_dsn_about_mail_that_is_not_ours_changes_nothing(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    settings = ack_settings(settings, smtp)
    incident, pk, got = acked(settings, db, smtp)
    stranger = got.data.replace(b"Message-ID: <", b"Message-ID: <not-ours.")
    [result] = ingest(settings, db, dsn(stranger, "someone@reporter.example", n=3))
    assert result.verdict == "automated"
    assert item(db, pk).status == "sent" and item(db, pk).last_error is None
    assert timeline(db, incident, "outbox_bounced") == []


def test_replayed_reply_is_logged_once(db: Database, settings: Settings, smtp: SmtpServer) -> None:
    settings = ack_settings(settings, smtp)
    incident, _pk, got = acked(settings, db, smtp)
    subject = got.message()["Subject"].strip()
    reply = (
        "From: Security Team <security@reporter.example.net>\r\nTo: abuse@example.jp\r\n"
        f"Subject: Re: {subject}\r\nMessage-ID: <reply-9@reporter.example.net>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nAny news?\r\n"
    ).encode()
    [result] = ingest(settings, db, authenticated(reply))
    assert result.verdict == "non_incident"
    for _ in range(2):
        [again] = replay(settings, db, result.message_pk)
        assert again.outcome == "processed" and again.verdict == "non_incident"
    found = timeline(db, incident, "correspondence")
    assert [d["message"] for d in found] == [result.message_pk]
    with db.session() as session:
        ledger = [e.action for e in message_store.message_events(session, result.message_pk)]
    assert ledger.count("correspondence") == 1 and ledger.count("replayed") == 2


def test_parse_dsn_reads_the_fields_and_ignores_other_reports() -> None:
    original = b"Message-ID: <abusebox.1@example.jp>\r\nSubject: x\r\n\r\nbody\r\n"
    parsed = parse_dsn(dsn(original, "Bob@Example.ORG"))
    assert parsed is not None and parsed.original_message_id == "<abusebox.1@example.jp>"
    [rcpt] = parsed.recipients
    assert (rcpt.address, rcpt.action, rcpt.status, rcpt.permanent) == (
        "bob@example.org",
        "failed",
        "5.1.1",
        True,
    )
    assert "User unknown" in rcpt.diagnostic
    arf = dsn(original, "x@example.org").replace(
        b"report-type=delivery-status", b"report-type=feedback-report"
    )
    assert parse_dsn(arf) is None
    assert parse_dsn(b"Subject: plain\r\n\r\ntext\r\n") is None
