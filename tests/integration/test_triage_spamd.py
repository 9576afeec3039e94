"""The real spamd (Debian package spamd) adds its verdict to triage."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from paths import DATA as TEST_DATA
from services import binary, unavailable
from spamd_support import free_port, with_spamd

from abusebox.pipeline.analyze import analyze

DATA = TEST_DATA / "triage"


@pytest.fixture(scope="module")
def spamd_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    spamd = binary("spamd", "/usr/sbin/spamd", package="spamd")
    port = free_port()
    pidfile = tmp_path_factory.mktemp("spamd") / "spamd.pid"
    proc = subprocess.Popen(
        [
            spamd,
            f"--listen=127.0.0.1:{port}",
            "-L",
            "--min-children=1",
            "--max-children=1",
            "--nouser-config",
            "--syslog=stderr",
            f"--pidfile={pidfile}",
            "-u",
            "nobody",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    unavailable(f"spamd exited with {proc.returncode} at start")
                time.sleep(0.1)
        else:
            unavailable("spamd did not listen within 30 s")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_real_spamd_adds_its_verdict(spamd_port: int) -> None:
    spam = analyze((DATA / "spam_pharmacy.eml").read_bytes(), with_spamd(spamd_port))
    assert any("spamd score" in r.text and ": spam [spamd +3.0]" in str(r) for r in spam.triage.reasons), (
        spam.triage.reasons
    )
    report = analyze((DATA / "report_ssh_ja.eml").read_bytes(), with_spamd(spamd_port))
    assert report.verdict == "report"
    assert any("spamd score" in r.text and "not spam" in r.text for r in report.triage.reasons), (
        report.triage.reasons
    )
