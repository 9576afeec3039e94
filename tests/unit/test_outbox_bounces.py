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


_PARAM_FORMS = st.sampled_from(
    [
        "report-type=delivery-status",
        'report-type="delivery-status"',
        "REPORT-TYPE=Delivery-Status",
        "report-type = delivery-status",
        "report-type*=us-ascii''delivery-status",
        "report-type*=us-ascii'en'delivery%2Dstatus",
        "report-type*0=deliv; report-type*1=ery-status",
        'report-type*0="delivery-"; report-type*1="status"',
        "report-type=feedback-report",
        "report-type=disposition-notification",
        "report-type=",
        "",
    ]
)


@settings(max_examples=200, deadline=None)
@given(_PARAM_FORMS, st.sampled_from(["; ", ";", ";\r\n\t"]), st.booleans())
def test_the_dsn_gate_lets_every_dsn_through(param: str, sep: str, boundary_first: bool) -> None:
    # correspondence reads a multipart/report again only where its Content-Type can name a
    # DSN: whatever parse_dsn takes for one must pass that gate.
    from abusebox.outbox.correspondence import _may_be_dsn
    from abusebox.parsing.mime import parse_message

    params = ['boundary="B"', param] if boundary_first else [param, 'boundary="B"']
    ctype = "multipart/report" + "".join(f"{sep}{p}" for p in params if p)
    raw = (
        b"From: MAILER-DAEMON@mx.example\r\nMIME-Version: 1.0\r\nContent-Type: "
        + ctype.encode()
        + b"\r\n\r\n"
        + STATUS
        + QUOTED
    )
    if parse_dsn(raw) is not None:
        assert _may_be_dsn(parse_message(raw)), ctype
    if "feedback-report" in param or "disposition" in param:
        assert parse_dsn(raw) is None and not _may_be_dsn(parse_message(raw))
