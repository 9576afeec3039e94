"""Issue 15 defects 8 and 9: a bad Date costs only the date; a Subject stays one line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from abusebox.core.config import Settings
from abusebox.parsing.mime import parse_message
from abusebox.pipeline.analyze import analyze

RECEIVED = b"Received: from mx.example.net by mx.example.jp; Thu, 19 Nov 2026 10:20:30 +0900\r\n"
LINE = b"Nov 19 01:20:30 host sshd[1]: Failed password for root from 203.0.113.9 port 4242 ssh2\r\n"


def _mail(date: bytes, subject: bytes = b"ssh brute force") -> bytes:
    return (
        RECEIVED + b"From: reporter@example.net\r\nTo: abuse@example.jp\r\nSubject: " + subject + b"\r\n"
        b"Date: " + date + b"\r\nMessage-ID: <d@example.net>\r\n\r\n"
        b"We saw SSH brute force attempts from this host.\r\n\r\n" + LINE
    )


@pytest.mark.parametrize(
    "date", [b"Thu, 19 Nov 20000000000000000000 10:20:30 +0900", b"Thu, 19 Nov 0000 10:20:30 +0900"]
)
def test_unusable_date_is_a_reason_and_the_received_time_is_used(date: bytes) -> None:
    parsed = parse_message(_mail(date))
    assert parsed.date == datetime(2026, 11, 19, 1, 20, 30, tzinfo=UTC)
    assert any(r.rule == "date" and "unusable Date" in r.text for r in parsed.skipped)
    result = analyze(_mail(date), Settings())
    times = {o.time for o in result.extraction.observations if o.ip == "203.0.113.9"}
    assert times == {datetime(2026, 11, 18, 16, 20, 30, tzinfo=UTC)}


def test_plus_zero_zone_is_a_usable_date() -> None:
    parsed = parse_message(_mail(b"Thu, 19 Nov 2026 10:20:30 +0000"))
    assert parsed.date == datetime(2026, 11, 19, 10, 20, 30, tzinfo=UTC)
    assert not parsed.skipped


def test_encoded_crlf_in_subject_stays_one_line() -> None:
    subject = b"=?utf-8?q?report=0D=0ABcc=3A_victim=40evil=2Eexample?="
    parsed = parse_message(_mail(b"Thu, 19 Nov 2026 10:20:30 +0900", subject))
    assert "\n" not in parsed.subject and "\r" not in parsed.subject
    assert parsed.subject == "report Bcc: victim@evil.example"
    for obs in analyze(
        _mail(b"Thu, 19 Nov 2026 10:20:30 +0900", subject), Settings()
    ).extraction.observations:
        assert "\nBcc:" not in (obs.evidence or "")
