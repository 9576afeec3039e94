from __future__ import annotations

from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from paths import EXAMPLES as INBOX

from abusebox.core.config import LimitSettings
from abusebox.core.errors import LimitExceeded
from abusebox.parsing.charsets import decode_bytes
from abusebox.parsing.headers import decode_header_value
from abusebox.parsing.mime import parse_message

EXAMPLES = INBOX / "cur"


def example(prefix: str) -> bytes:
    return next(EXAMPLES.glob(f"*{prefix}*")).read_bytes()


def test_iso_2022_jp_subject_body_and_sender() -> None:
    parsed = parse_message(example("02-ssh-bruteforce-ja"))
    assert parsed.subject.startswith("【不正アクセス報告】")
    assert parsed.from_addr == "yamada@sample.example.co.jp"
    assert "2026年11月19日 22時05分" in parsed.body_text
    assert parsed.date is not None and parsed.date.utcoffset().total_seconds() == 9 * 3600


def test_shift_jis_and_utf8_bodies() -> None:
    assert "ご登録ありがとうございます" in parse_message(example("10-oneclick")).body_text
    assert "１９２．０．２．１５０" in parse_message(example("03-portscan-ja")).body_text


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("①髙橋".encode("cp932"), "shift_jis", "①髙橋"),  # NEC/IBM extensions real mailers send
        ("日本語".encode("euc_jp"), "euc-jp", "日本語"),
        ("日本語".encode("iso2022_jp"), None, "日本語"),  # escape sequences identify JIS
        ("日本語".encode(), "us-ascii", "日本語"),  # mislabelled UTF-8
        (b"caf\xe9", "bogus-charset", "café"),
    ],
)
def test_charset_decoding(data: bytes, charset: str | None, expected: str) -> None:
    assert decode_bytes(data, charset)[0] == expected


def test_undecodable_bytes_are_replaced_not_raised() -> None:
    text, codec = decode_bytes(b"\x80\x81\xff\xfe", "utf-8")
    assert codec.endswith("+replace") or text


def test_encoded_word_header_decoding() -> None:
    value = Header("ポートスキャン", "iso-2022-jp").encode()
    assert decode_header_value(value) == "ポートスキャン"
    assert decode_header_value("=?bogus?B?!!!?=") == "=?bogus?B?!!!?="


def test_forwarded_message_is_nested_and_its_text_kept() -> None:
    outer = MIMEMultipart()
    outer["From"] = "fwd@example.org"
    outer["Subject"] = "Fwd: report"
    outer.attach(MIMEText("see attached", "plain"))
    inner = MIMEText("attack from 192.0.2.9", "plain")
    inner["From"] = "reporter@example.net"
    inner["Subject"] = "inner"
    from email.mime.message import MIMEMessage

    outer.attach(MIMEMessage(inner))
    parsed = parse_message(outer.as_bytes())
    assert parsed.nested[0].from_addr == "reporter@example.net"
    assert any(p.origin == "rfc822" and "192.0.2.9" in p.text for p in parsed.text_parts)


def test_feedback_report_part_is_text() -> None:
    parsed = parse_message(example("08-arf"))
    fr = [p for p in parsed.text_parts if p.content_type == "message/feedback-report"]
    assert fr and "Source-IP: 198.51.100.66" in fr[0].text


def nested(depth: int) -> bytes:
    body = b"Content-Type: text/plain\n\nhello 192.0.2.1\n"
    for i in range(depth):
        b = f"b{i}".encode()
        body = (
            b'Content-Type: multipart/mixed; boundary="'
            + b
            + b'"\n\n--'
            + b
            + b"\n"
            + body
            + b"\n--"
            + b
            + b"--\n"
        )
    return b"From: a@example.org\nSubject: deep\n" + body


def test_nesting_limit() -> None:
    parse_message(nested(5), LimitSettings(max_depth=10))
    with pytest.raises(LimitExceeded, match="nesting deeper than 10"):
        parse_message(nested(30), LimitSettings(max_depth=10))


def test_part_count_message_and_header_limits() -> None:
    many = MIMEMultipart()
    for i in range(50):
        many.attach(MIMEText(f"part {i}"))
    with pytest.raises(LimitExceeded, match="more than 20 MIME parts"):
        parse_message(many.as_bytes(), LimitSettings(max_parts=20))
    with pytest.raises(LimitExceeded, match="exceeds 100"):
        parse_message(b"From: a@b\n\n" + b"x" * 200, LimitSettings(max_message_bytes=100))
    huge_header = b"X-Junk: " + b"a" * 5000 + b"\nFrom: a@b\n\nbody\n"
    with pytest.raises(LimitExceeded, match="header block larger than 1000"):
        parse_message(huge_header, LimitSettings(max_header_bytes=1000))


def test_oversized_attachment_is_skipped_with_reason() -> None:
    msg = MIMEMultipart()
    msg.attach(MIMEText("report about 192.0.2.1"))
    big = MIMEText("x" * 5000)
    big.add_header("Content-Disposition", "attachment", filename="big.log")
    msg.attach(big)
    parsed = parse_message(msg.as_bytes(), LimitSettings(max_attachment_bytes=1000))
    assert any("big.log" in s.text and "exceeds 1000" in s.text for s in parsed.skipped)
    assert "192.0.2.1" in parsed.body_text


def test_garbage_never_raises() -> None:
    for raw in (b"", b"\x00\x01\x02", b"Content-Type: multipart/mixed\n\n--", b"From: \xff\xfe\n\n\xff"):
        parse_message(raw)


def test_raw_8bit_headers_are_decoded_not_replaced() -> None:
    # Japanese mailers still send unencoded UTF-8 or Shift_JIS in headers.
    utf8 = "Subject: 不正アクセスの報告\nFrom: 山田 <yamada@example.jp>\n\nbody\n".encode()
    parsed = parse_message(utf8)
    assert parsed.subject == "不正アクセスの報告"
    assert parsed.from_addr == "yamada@example.jp"
    sjis = "Subject: ポートスキャン\n\nbody\n".encode("cp932")
    assert parse_message(sjis).subject == "ポートスキャン"
