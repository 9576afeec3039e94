"""The optional spamd signal: protocol parser on recorded bytes, and a real spamd when installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from paths import DATA as TEST_DATA
from spamd_support import free_port, with_spamd

from abusebox.core.config import Settings
from abusebox.pipeline.analyze import analyze
from abusebox.triage.spamd import SpamdError, SpamdVerdict, build_request, parse_response

DATA = TEST_DATA / "triage"
SPAMD = shutil.which("spamd") or ("/usr/sbin/spamd" if Path("/usr/sbin/spamd").exists() else None)

# Recorded from spamd 4.0.1 (Debian bookworm) answering CHECK for spam_pharmacy.eml and
# report_ssh_ja.eml; the error line is the form spamd's source uses for EX_PROTOCOL.
RECORDED_SPAM = b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 16.9 / 5.0\r\n\r\n"
RECORDED_HAM = b"SPAMD/1.1 0 EX_OK\r\nSpam: False ; 1.3 / 5.0\r\n\r\n"


def test_parse_recorded_responses() -> None:
    assert parse_response(RECORDED_SPAM) == SpamdVerdict(True, 16.9, 5.0)
    assert parse_response(RECORDED_HAM) == SpamdVerdict(False, 1.3, 5.0)
    with pytest.raises(SpamdError, match="spamd error 76"):
        parse_response(b"SPAMD/1.0 76 Bad header line: (EOF)\r\n")
    with pytest.raises(SpamdError, match="not a spamd response"):
        parse_response(b"HTTP/1.1 400 Bad Request\r\n")


def test_request_states_the_length_of_the_message() -> None:
    assert build_request(b"abc") == b"CHECK SPAMC/1.5\r\nContent-length: 3\r\n\r\nabc"


def test_not_configured_means_not_asked() -> None:
    a = analyze((DATA / "spam_pharmacy.eml").read_bytes(), Settings())
    assert not any("spamd" in str(r) for r in a.triage.reasons)


def test_unreachable_spamd_is_a_reason_not_a_failure() -> None:
    a = analyze((DATA / "sales_en.eml").read_bytes(), with_spamd(free_port()))
    assert a.verdict == "non_incident"
    assert any("spamd not available" in r.text for r in a.triage.reasons)
