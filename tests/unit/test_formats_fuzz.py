"""Arbitrary bytes and text in attachments and bodies never crash the format stage."""

from __future__ import annotations

import gzip
import io
import zipfile

from formats_mail import mail_with_attachment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abusebox.core.config import LimitSettings, Settings
from abusebox.core.models import Attachment, TextPart
from abusebox.extract.formats import parse_known_format
from abusebox.parsing.archives import DecodeBudget, expand
from abusebox.parsing.mime import parse_message
from abusebox.pipeline.analyze import analyze

SENDERS = st.sampled_from(
    [
        "autoreports@shadowserver.org",
        "office@jpcert.or.jp",
        "x@blocklist.de",
        "1@reports.spamcop.net",
        "a@b.example",
    ]
)
NAMES = st.sampled_from(
    ["report.txt", "2026-11-19-scan_ssh-jp.csv", "events.json", "x.zip", "x.gz", "drop.txt"]
)
CELL = st.text(alphabet=st.sampled_from(list('0123456789.:,;|"\n\t=-/ abcTZ[]{}')), max_size=300)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.binary(max_size=2000), name=NAMES, sender=SENDERS)
def test_arbitrary_attachment_bytes(payload: bytes, name: str, sender: str) -> None:
    extraction = analyze(mail_with_attachment(payload, name, sender=sender), Settings()).extraction
    assert extraction.format


@settings(max_examples=60, deadline=None)
@given(text=CELL, name=NAMES, sender=SENDERS)
def test_arbitrary_table_like_text(text: str, name: str, sender: str) -> None:
    parsed = parse_message(mail_with_attachment(b"", "empty.bin", sender=sender))
    parsed.text_parts.append(TextPart("timestamp,ip,port\n" + text, "text/csv", name, "attachment"))
    parsed.text_parts.append(TextPart(text, "text/plain", None, "body"))
    parse_known_format(parsed, LimitSettings())


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=500), cut=st.integers(min_value=0, max_value=400))
def test_damaged_archives(data: bytes, cut: int) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.csv", data)
    for blob in (buf.getvalue()[:cut], gzip.compress(data)[:cut], b"PK\x03\x04" + data, b"\x1f\x8b" + data):
        budget = DecodeBudget(LimitSettings())
        expand("x", blob, budget)
        parsed = parse_message(mail_with_attachment(b"", "empty.bin"))
        parsed.attachments.append(Attachment(blob, "application/zip", "x.zip"))
        parse_known_format(parsed, LimitSettings())
