"""Acknowledgements end to end: ingest through the pipeline, deliver to aiosmtpd, read back.

Both databases. The RFC 3834 rules: exactly one acknowledgement for an authenticated
first report, with a null envelope sender, threading, the ticket tag, the report's
language and the recipient's charset; none for anything that must not be answered.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from outbox_helpers import (
    EN_REPORT,
    JA_REPORT,
    OURS,
    ack_settings,
    acks,
    authenticated,
    example,
    ingest,
    with_header,
)
from smtp_server import SmtpServer

from abusebox.core.config import Settings
from abusebox.outbox.sender import send_pass
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store.db import Database


def suppressed(db: Database, pk: int) -> list[str]:
    with db.session() as session:
        return [
            e.detail["reason"]
            for e in message_store.message_events(session, pk)
            if e.action == "ack_suppressed"
        ]


def test_authenticated_first_report_gets_exactly_one_ack(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    settings = ack_settings(settings, smtp)
    [result] = ingest(settings, db, authenticated(example(EN_REPORT)))
    assert result.verdict == "report" and result.incidents
    [row] = acks(db)
    assert row.status == "approved" and row.to == ["security@reporter.example.net"]
    assert send_pass(settings, db).summary() == "sent 1, failed 0, deferred 0"
    [got] = smtp.wait_for(1)
    assert (
        got.mail_from == "<>" and got.rcpt_tos
    )  # MAIL FROM:<> (RFC 3834) == ["security@reporter.example.net"]
    msg = got.message()
    incident = result.incidents[0]
    with db.session() as session:
        created = incident_store.incident_row(session, incident)
        assert created is not None
        year = created.created_at.year
    tag = f"[abusebox #{year}-{incident:06d}]"
    assert msg["Subject"].strip() == f"Re: Abuse report: SSH brute force from 203.0.113.45 {tag}"
    assert msg["In-Reply-To"] == "<ssh-bf-20261119@reporter.example.net>"
    assert msg["References"] == "<ssh-bf-20261119@reporter.example.net>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["From"].addresses[0].addr_spec == OURS
    assert msg["Message-ID"] == row.message_id
    body = msg.get_content()
    assert "Thank you for your report" in body and f"{year}-{incident:06d}" in body and "203.0.113.45" in body
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 0"
    # Replaying the message does not acknowledge it again.
    with db.session() as session:
        pks = message_store.message_ids(session)
    with AnalyzerPool(settings) as pool:
        list(Pipeline(settings, db, pool).replay(pks, actor="test"))
    assert len(acks(db)) == 1


@pytest.mark.parametrize("charset", ["iso-2022-jp", "utf-8"])
def test_japanese_report_is_acknowledged_in_japanese_in_the_recipients_charset(
    db: Database, settings: Settings, smtp: SmtpServer, charset: str
) -> None:
    wanted = ["@sample.example.co.jp"] if charset == "iso-2022-jp" else []
    settings = ack_settings(settings, smtp, iso_2022_jp=wanted)
    ingest(settings, db, authenticated(example(JA_REPORT)))
    [row] = acks(db)
    assert row.language == "ja"
    send_pass(settings, db)
    [got] = smtp.wait_for(1)
    msg = got.message()
    assert msg.get_content_charset() == charset
    if charset == "iso-2022-jp":
        assert msg["Content-Transfer-Encoding"] == "7bit"
        assert got.data.isascii()  # 7-bit clean on the wire: ESC sequences, no 8-bit bytes
        head = got.data.split(b"\r\n\r\n", 1)[0]
        assert b"Subject: =?iso-2022-jp?b?" in head and b"=?utf-8?" not in head.lower()
    assert str(msg["Subject"]) == row.subject
    body = msg.get_content()
    assert "受付番号" in body and "203.0.113.77" in body
    assert "【不正アクセス】" in msg["Subject"] or msg["Subject"].strip().startswith("Re: ")
    assert msg["Subject"].endswith("]")


def _bulk(raw: bytes) -> bytes:
    return with_header(raw, "List-Id", "<abuse-reports.lists.example.net>")


def _precedence(raw: bytes) -> bytes:
    return with_header(raw, "Precedence", "bulk")


CASES = {
    "forged (DMARC fail)": lambda: authenticated(example(EN_REPORT), "fail"),
    "unauthenticated": lambda: example(EN_REPORT),
    "foreign authserv-id": lambda: authenticated(example(EN_REPORT), authserv="mx.attacker.example"),
    "bounce of our ack": lambda: authenticated(example("1764028800.M10P1.11-bounce-of-ack:2,")),
    "out of office": lambda: authenticated(example("1764028800.M11P1.12-out-of-office-ja:2,")),
    "list mail": lambda: _bulk(authenticated(example(EN_REPORT))),
    "precedence bulk": lambda: _precedence(authenticated(example(EN_REPORT))),
    "spam": lambda: authenticated(example("1764028800.M08P1.09-spam-pharmacy:2,")),
    "our own address": lambda: with_header(authenticated(example(EN_REPORT)), "From", f"CSIRT <{OURS}>"),
    "noreply address": lambda: with_header(
        authenticated(example(EN_REPORT)), "From", "Reports <no-reply@reporter.example.net>"
    ),
    "auto-submitted": lambda: with_header(
        authenticated(example(EN_REPORT)), "Auto-Submitted", "auto-generated"
    ),
}


WHY = {
    "forged (DMARC fail)": "not authenticated",
    "unauthenticated": "not authenticated",
    "foreign authserv-id": "not authenticated",
    "list mail": "List-Id",
    "precedence bulk": "Precedence: bulk",
    "our own address": "our own address",
    "noreply address": "noreply",
    "auto-submitted": "Auto-Submitted",
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_ack_for_mail_that_must_not_be_answered(
    db: Database, settings: Settings, smtp: SmtpServer, case: str
) -> None:
    settings = ack_settings(settings, smtp)
    [result] = ingest(settings, db, CASES[case]())
    assert acks(db) == []
    if result.verdict == "report":
        [reason] = suppressed(db, result.message_pk or 0)  # the reason is recorded on the message
        assert WHY[case] in reason
    else:  # the verdict is the reason: only reports are ever acknowledged
        assert case in ("bounce of our ack", "out of office", "spam")
    send_pass(settings, db)
    assert smtp.messages == []


def test_second_report_of_a_sender_within_the_cap(db: Database, settings: Settings, smtp: SmtpServer) -> None:
    settings = ack_settings(settings, smtp)
    first = authenticated(example(EN_REPORT))
    second = (
        with_header(first, "Message-ID", "<ssh-bf-2@reporter.example.net>") + b"\nNov 19 09:20:00 again\n"
    )
    [one] = ingest(settings, db, first)
    [two] = ingest(settings, db, second)
    assert one.incidents == two.incidents  # same source: no new incident
    assert len(acks(db)) == 1
    assert any("per-sender cap" in r for r in suppressed(db, two.message_pk))
    # A report that opens a new incident is acknowledged despite the cap.
    third = with_header(first, "Message-ID", "<ssh-bf-3@reporter.example.net>").replace(
        b"203.0.113.45", b"203.0.113.99"
    )
    [three] = ingest(settings, db, third)
    assert three.incidents and three.incidents != one.incidents
    assert len(acks(db)) == 2


def test_no_ack_while_mail_is_disabled(db: Database, settings: Settings, smtp: SmtpServer) -> None:
    settings = ack_settings(settings, smtp)
    settings = replace(settings, mail=replace(settings.mail, enabled=False))
    ingest(settings, db, authenticated(example(EN_REPORT)))
    assert acks(db) == []


INJECTIONS = [
    "=?utf-8?q?Abuse_report=0D=0ABcc:_victim@evil.example=0D=0A?=",
    "=?utf-8?b?QWJ1c2UgcmVwb3J0DQpCY2M6IHZpY3RpbUBldmlsLmV4YW1wbGUNClRvOiB4QGV2aWwuZXhhbXBsZQ==?=",
    "Abuse report =?utf-8?q?=0ABcc=3A_victim@evil.example?= tail",
]


@pytest.mark.parametrize("subject", INJECTIONS)
def test_header_injection_through_the_subject(
    db: Database, settings: Settings, smtp: SmtpServer, subject: str
) -> None:
    settings = ack_settings(settings, smtp)
    ingest(settings, db, with_header(authenticated(example(EN_REPORT)), "Subject", subject))
    [row] = acks(db)
    assert row.to == ["security@reporter.example.net"]
    send_pass(settings, db)
    [got] = smtp.wait_for(1)
    assert got.rcpt_tos == ["security@reporter.example.net"]
    msg = got.message()
    names = [k.lower() for k in msg]
    assert "bcc" not in names and names.count("to") == 1
    assert set(names) == {
        "from", "to", "subject", "message-id", "date", "in-reply-to", "references", "auto-submitted",
        "x-auto-response-suppress", "precedence", "content-type", "content-transfer-encoding", "mime-version",
    }  # fmt: skip
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    head = got.data.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and b"\nBcc:" not in head
