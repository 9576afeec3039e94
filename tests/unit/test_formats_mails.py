"""Mail-shaped formats: ARF, X-ARF, blocklist.de, SpamCop, fail2ban, JPCERT/CC, HTML, forwards."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from formats_mail import mail_with_attachment
from paths import DATA as TEST_DATA
from services import corpus_dir

from abusebox.core.config import Settings
from abusebox.core.models import Extraction, ParsedMessage
from abusebox.extract.formats import FormatContext, register, registered
from abusebox.extract.formats.jpcert import strip_clearsign
from abusebox.parsing.text import html_to_text
from abusebox.pipeline.analyze import analyze

DATA = TEST_DATA / "formats"


def run(raw: bytes) -> Extraction:
    return analyze(raw, Settings()).extraction


def sources(extraction: Extraction) -> list[tuple[str, datetime | None]]:
    return [(o.ip, o.time) for o in extraction.observations if o.role == "source"]


def arf_mail(feedback: str, original: str, original_type: str = "message/rfc822") -> bytes:
    return (
        "From: fbl@isp.example\r\nTo: abuse@example.jp\r\nSubject: FW: spam\r\n"
        "Date: Thu, 19 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n"
        f"--b1\r\nContent-Type: message/feedback-report\r\n\r\n{feedback}\r\n"
        f"--b1\r\nContent-Type: {original_type}\r\n\r\n{original}\r\n--b1--\r\n"
    ).encode()


ORIGINAL = (
    "Received: from relay.example.net (relay.example.net [198.51.100.77])\r\n"
    "\tby mx.isp.example with ESMTP; Thu, 19 Nov 2026 08:59:00 +0000\r\n"
    "From: spammer@example.net\r\nDate: Thu, 19 Nov 2026 17:58:00 +0900\r\nSubject: buy\r\n\r\nbuy now\r\n"
)


def test_arf_source_ip_and_arrival_date_not_the_relays() -> None:
    feedback = (
        "Feedback-Type: abuse\r\nUser-Agent: FBL/1.0\r\nVersion: 1\r\n"
        "Arrival-Date: Thu, 19 Nov 2026 09:00:01 +0000\r\nSource-IP: 192.0.2.200\r\n"
    )
    extraction = run(arf_mail(feedback, ORIGINAL))
    assert extraction.format == "arf"
    assert extraction.category == "spam"
    assert sources(extraction) == [("192.0.2.200", datetime(2026, 11, 19, 9, 0, 1, tzinfo=UTC))]


@pytest.mark.parametrize(
    ("feedback_type", "category"),
    [
        ("abuse", "spam"),
        ("fraud", "phishing"),
        ("virus", "malware"),
        ("auth-failure", "other"),
        ("x", "other"),
    ],
)
def test_arf_feedback_type_categories(feedback_type: str, category: str) -> None:
    feedback = f"Feedback-Type: {feedback_type}\r\nVersion: 1\r\nSource-IP: 192.0.2.201\r\n"
    extraction = run(arf_mail(feedback, ORIGINAL))
    assert extraction.category == category
    assert extraction.observations[0].category == category


def test_arf_headers_only_original_gives_the_time() -> None:
    feedback = (
        "Feedback-Type: auth-failure\r\nVersion: 1\r\nSource-IP: 192.0.2.202\r\nAuth-Failure: dmarc\r\n"
    )
    headers_only = ORIGINAL.split("\r\n\r\n")[0] + "\r\n"
    extraction = run(arf_mail(feedback, headers_only, "text/rfc822-headers"))
    assert sources(extraction) == [("192.0.2.202", datetime(2026, 11, 19, 8, 58, tzinfo=UTC))]


def test_arf_without_source_ip_never_takes_relays() -> None:
    extraction = run(arf_mail("Feedback-Type: abuse\r\nVersion: 1\r\n", ORIGINAL))
    assert extraction.format == "arf"
    assert "198.51.100.77" not in [o.ip for o in extraction.observations]
    assert any("without a usable Source-IP" in r.text for r in extraction.reasons)


XARF_02 = """---
Reported-From: reports@example.org
Category: abuse
Report-Type: login-attack
Service: ssh
Version: 0.2
Date: Thu, 19 Nov 2026 11:12:13 +0100
Source-Type: ip-address
Source: 192.0.2.210
Port: 22
Destination: 198.51.100.21
!!python/object/apply:os.system ["echo pwned"]
"""


def test_xarf_02_report_part_is_read_line_by_line() -> None:
    raw = mail_with_attachment(
        XARF_02.encode(), "report.txt", maintype="text", subtype="plain", sender="fail2ban@host.example.org"
    )
    extraction = run(raw)
    assert extraction.format == "xarf"
    assert extraction.category == "brute-force"
    [obs] = extraction.observations
    assert (obs.ip, obs.time, obs.port) == ("192.0.2.210", datetime(2026, 11, 19, 10, 12, 13, tzinfo=UTC), 22)
    assert extraction.targets == ["198.51.100.21"]


XARF_SAMPLES = {
    "xarf/abusix-xarf/portscan_sample.json": ("192.0.2.55", "scan", "2018-02-05T14:17:10+00:00"),
    "xarf/abusix-xarf/spam_sample.json": ("192.0.2.55", "spam", "2018-02-05T14:17:10+00:00"),
    "xarf/xarf-python/spam_spamcop_sample.json": ("192.168.1.100", "spam", "2024-01-15T14:30:25+00:00"),
    "xarf/xarf-spec/connection-ddos.json": ("192.0.2.155", "dos", "2025-01-11T08:45:00+00:00"),
    "xarf/xarf-spec/connection-login-attack.json": (
        "198.51.100.77",
        "brute-force",
        "2025-01-11T06:17:20+00:00",
    ),
    "xarf/xarf-spec/content-phishing.json": ("203.0.113.45", "phishing", "2025-01-11T15:15:24+00:00"),
}


@pytest.mark.parametrize("rel", sorted(XARF_SAMPLES))
def test_xarf_json_attachments(rel: str) -> None:
    path = corpus_dir() / rel
    raw = mail_with_attachment(path.read_bytes(), "report.json", maintype="application", subtype="json")
    extraction = run(raw)
    ip, category, when = XARF_SAMPLES[rel]
    assert extraction.format == "xarf"
    assert [(o.ip, o.category, o.time) for o in extraction.observations] == [
        (ip, category, datetime.fromisoformat(when))
    ]


def test_blocklistde_plain_body_without_report_part() -> None:
    msg = EmailMessage()
    msg["From"] = "Abuse-Team <autogenerated@blocklist.de>"
    msg["To"] = "abuse@example.jp"
    msg["Subject"] = "abuse report about 192.0.2.220"
    msg["Date"] = "Thu, 19 Nov 2026 07:25:31 +0100"
    msg.set_content(
        "Hello Abuse-Team,\n\n"
        "your Server/Customer with the IP: *192.0.2.220* has attacked one of our servers.\n"
        "The attackers used the method/service: *ssh*  on: *Thu, 19 Nov 2026 07:19:02 +0100*.\n"
        "Received: from mail.blocklist.de [109.239.50.114]\n"
    )
    extraction = run(msg.as_bytes())
    assert extraction.format == "blocklistde"
    assert [(o.ip, o.time, o.category) for o in extraction.observations] == [
        ("192.0.2.220", datetime(2026, 11, 19, 6, 19, 2, tzinfo=UTC), "brute-force")
    ]


def test_spamcop_source_is_the_sourceip_not_the_quoted_relays() -> None:
    body = (
        "[ SpamCop V5.4.0 ]\nThis message is brief for your comfort.\n\n"
        "Email from 192.0.2.230 / Thu, 19 Nov 2026 10:11:12 -0500\n"
        "https://www.spamcop.net/sc?id=z0000000000z\n\n[ Offending message ]\n"
        "Received: from unknown (HELO mail) (198.51.100.88)\n"
        "  by mx.example.com; 19 Nov 2026 15:11:12 -0000\n"
        "Received: from [203.0.113.99] by relay.example.net\nSubject: cheap\n\nbuy\n"
    )
    msg = EmailMessage()
    msg["From"] = "1234567890@reports.spamcop.net"
    msg["To"] = "abuse@example.jp"
    msg["Subject"] = "[SpamCop (192.0.2.230) id:1234567890]cheap"
    msg["Date"] = "Thu, 19 Nov 2026 16:00:00 +0000"
    msg["X-SpamCop-sourceip"] = "192.0.2.230"
    msg.set_content(body)
    extraction = run(msg.as_bytes())
    assert extraction.format == "spamcop"
    assert sources(extraction) == [("192.0.2.230", datetime(2026, 11, 19, 15, 11, 12, tzinfo=UTC))]


def test_fail2ban_log_lines_give_times_in_the_senders_zone() -> None:
    extraction = run((DATA / "fail2ban.eml").read_bytes())
    assert extraction.format == "fail2ban"
    assert extraction.category == "brute-force"
    assert sources(extraction) == [
        ("192.0.2.77", datetime(2026, 11, 19, 12, 58, 40, tzinfo=UTC)),
        ("192.0.2.77", datetime(2026, 11, 19, 13, 1, 59, tzinfo=UTC)),
    ]


def test_jpcert_table_notice() -> None:
    extraction = run((DATA / "jpcert_table.eml").read_bytes())
    assert extraction.format == "jpcert"
    assert [(o.ip, o.time, o.port) for o in extraction.observations] == [
        ("192.0.2.61", datetime(2026, 11, 21, 18, 14, 15, tzinfo=UTC), 445),
        ("192.0.2.62", datetime(2026, 11, 21, 18, 15, 40, tzinfo=UTC), 445),
        ("2001:db8:10::25", datetime(2026, 11, 21, 19, 1, 2, tzinfo=UTC), 3389),
    ]
    assert extraction.targets == ["203.0.113.10", "203.0.113.11", "203.0.113.12"]


def test_strip_clearsign_undoes_dash_escaping() -> None:
    text = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nbody\n- ---\n"
        "-----BEGIN PGP SIGNATURE-----\nx\n-----END PGP SIGNATURE-----\n"
    )
    assert strip_clearsign(text).strip() == "body\n---"


def test_html_only_body_is_read_as_text_without_script_or_style() -> None:
    extraction = run((DATA / "html_only.eml").read_bytes())
    assert extraction.format == "html"
    assert sources(extraction) == [
        ("192.0.2.130", datetime(2026, 11, 24, 21, 13, 5, tzinfo=UTC)),
        ("192.0.2.131", datetime(2026, 11, 24, 21, 14, 55, tzinfo=UTC)),
    ]


def test_html_to_text_tables_and_entities() -> None:
    html = "<table><tr><td>a</td><td> b &amp; c </td></tr><tr><td>1</td><td>2</td></tr></table>"
    html += "<script>x=1</script>"
    assert html_to_text(html) == "a\tb & c\n1\t2"
    assert html_to_text("<p>unclosed <b>tag <script>alert(1)") == "unclosed tag"


def test_inline_forward_uses_the_inner_report_and_its_zone() -> None:
    extraction = run((DATA / "forwarded_inline.eml").read_bytes())
    assert extraction.format == "forwarded"
    ips = {o.ip for o in extraction.observations}
    assert ips == {"192.0.2.99"}  # the forwarder's own note is not the report
    assert datetime(2026, 11, 22, 21, 41, 7, tzinfo=UTC) in {o.time for o in extraction.observations}


def test_japanese_forward_marker_and_inner_date_zone() -> None:
    extraction = run((DATA / "forwarded_ja.eml").read_bytes())
    assert extraction.format == "forwarded"
    assert sources(extraction) == [("198.51.100.23", datetime(2026, 11, 23, 8, 2, 45, tzinfo=UTC))]


def test_attached_message_of_a_known_format_keeps_that_format() -> None:
    inner = (DATA / "jpcert_table.eml").read_bytes()
    msg = EmailMessage()
    msg["From"] = "colleague@example.jp"
    msg["To"] = "csirt@example.jp"
    msg["Subject"] = "Fwd: JPCERT notice"
    msg["Date"] = "Tue, 24 Nov 2026 09:00:00 +0000"
    msg.set_content("FYI, see the attached notice. Our mail relay is 203.0.113.1.")
    from email import message_from_bytes

    msg.add_attachment(message_from_bytes(inner))
    extraction = run(msg.as_bytes())
    assert extraction.format == "jpcert"
    assert [o.ip for o in extraction.observations] == ["192.0.2.61", "192.0.2.62", "2001:db8:10::25"]
    assert any("forwarded by colleague@example.jp" in r.text for r in extraction.reasons)


def test_a_bounce_is_not_read_as_a_forwarded_report() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: abuse@example.jp\r\nSubject: Undelivered\r\n"
        b"Date: Thu, 19 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b2"\r\n\r\n'
        b"--b2\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--b2\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        b"Final-Recipient: rfc822; x@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--b2\r\nContent-Type: message/rfc822\r\n\r\nFrom: abuse@example.jp\r\nSubject: ack\r\n\r\n"
        b"Your report about 192.0.2.240 was received.\r\n--b2--\r\n"
    )
    assert run(raw).format != "forwarded"


def test_registry_refuses_duplicates_and_orders_dispatch() -> None:
    names = [p.name for p in registered()]
    assert names[:3] == ["arf", "spamcop", "blocklistde"]
    assert names.index("shadowserver") < names.index("csv") < names.index("forwarded") < names.index("html")

    class Again:
        name = "arf"

        def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
            return None

    with pytest.raises(ValueError, match="registered twice"):
        register(order=999)(Again)
