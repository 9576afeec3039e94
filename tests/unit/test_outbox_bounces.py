"""parse_dsn on hostile bytes: a Dsn or None, never an exception; only strict Message-IDs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from abusebox.outbox.bounces import parse_dsn
from abusebox.outbox.compose import safe_msgid

HEAD = (
    b"From: MAILER-DAEMON@mx.example\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
)
STATUS = (
    b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
    b"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
)
QUOTED = b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <x.1@example.jp>\r\n\r\n--B--\r\n"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.integers(0, len(STATUS + QUOTED)))
def test_any_bytes_inside_a_dsn_never_raise(junk: bytes, at: int) -> None:
    body = STATUS + QUOTED
    dsn = parse_dsn(HEAD + body[:at] + junk + body[at:])
    assert dsn is not None  # still multipart/report; report-type=delivery-status
    found = dsn.original_message_id
    assert found is None or safe_msgid(found) == found  # only the strict <local@domain> shape
    assert len(dsn.describe()) <= 900 and "\n" not in dsn.describe()


def test_a_forged_message_id_with_a_line_break_is_not_taken() -> None:
    quoted = (
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <a@b>\r\n Bcc: x@y\r\n\r\n--B--\r\n"
    )
    dsn = parse_dsn(HEAD + STATUS + quoted)
    assert dsn is not None and dsn.original_message_id is None
    [rcpt] = dsn.recipients
    assert rcpt.permanent and rcpt.address == "a@example.org"
