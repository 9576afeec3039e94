"""Issue 15 defect 7: a forged trusted From gains nothing without DMARC pass or a signature."""

from __future__ import annotations

from abusebox.core.config import TriageSettings
from abusebox.core.models import Extraction, PgpResult
from abusebox.parsing.mime import parse_message
from abusebox.triage import triage

SPAM = b"Buy cheap watches now! Limited offer, click here to unsubscribe.\r\n"


def _mail(from_value: bytes, extra: bytes = b"") -> bytes:
    return (
        b"From: "
        + from_value
        + b"\r\nTo: abuse@example.jp\r\nSubject: offer\r\n"
        + extra
        + b"Message-ID: <s@attacker.example>\r\n\r\n"
        + SPAM
    )


def _trust_hits(raw: bytes, settings: TriageSettings) -> list[float]:
    result = triage(parse_message(raw), PgpResult(), Extraction(), settings)
    return [r.score for r in result.reasons if "trusted reporter" in r.text]


SETTINGS = TriageSettings(trusted_reporters=["security@jpcert.or.jp"], authserv_id="mx.example.jp")


def test_encoded_trusted_display_name_gains_nothing() -> None:
    raw = _mail(b"=?utf-8?q?security=40jpcert=2Eor=2Ejp?= <evil@attacker.example>")
    assert parse_message(raw).from_addr == "evil@attacker.example"
    assert _trust_hits(raw, SETTINGS) == []


def test_forged_trusted_from_without_dmarc_gains_nothing() -> None:
    raw = _mail(b"JPCERT <security@jpcert.or.jp>")
    assert all(score == 0.0 for score in _trust_hits(raw, SETTINGS))
    foreign = b"Authentication-Results: mx.attacker.example; dmarc=pass header.from=jpcert.or.jp\r\n"
    assert all(score == 0.0 for score in _trust_hits(_mail(b"<security@jpcert.or.jp>", foreign), SETTINGS))
    other = b"Authentication-Results: mx.example.jp; dmarc=pass header.from=attacker.example\r\n"
    assert all(score == 0.0 for score in _trust_hits(_mail(b"<security@jpcert.or.jp>", other), SETTINGS))


def test_dmarc_pass_at_our_mta_earns_the_bonus() -> None:
    ours = b"Authentication-Results: mx.example.jp; dmarc=pass header.from=jpcert.or.jp\r\n"
    assert _trust_hits(_mail(b"JPCERT <security@jpcert.or.jp>", ours), SETTINGS) == [-5.0]
