"""The SMTP sender against a real aiosmtpd server, on SQLite and PostgreSQL.

Approved rows are delivered once; a server that is down defers the row (and it is
delivered when the server is back); a 5xx reply makes it `failed` with the reply; a
SIGKILL between the claim and the send, or between the send and the status update,
loses nothing and sends at most one extra copy with the same Message-ID.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from outbox_helpers import item, mail_settings, queue_one
from smtp_server import SmtpServer

from abusebox.core.config import Settings
from abusebox.outbox.sender import send_pass
from abusebox.store.db import Database


def test_approved_row_is_delivered_once(db: Database, settings: Settings, smtp: SmtpServer) -> None:
    settings = mail_settings(settings, smtp)
    pk = queue_one(db, settings)
    draft = queue_one(db, settings, status="draft")
    counts = send_pass(settings, db)
    assert counts.summary() == "sent 1, failed 0, deferred 0"
    [got] = smtp.wait_for(1)
    assert got.mail_from == "csirt@example.net"
    assert got.rcpt_tos == ["alice@example.org"]
    assert got.message()["Message-ID"] == item(db, pk).message_id
    assert item(db, pk).status == "sent" and item(db, pk).sent_at is not None
    assert item(db, draft).status == "draft"
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 0"
    assert len(smtp.messages) == 1


def test_server_down_defers_then_delivers(db: Database, settings: Settings, smtp: SmtpServer) -> None:
    settings = mail_settings(settings, smtp)
    pk = queue_one(db, settings)
    smtp.stop()
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 1"
    row = item(db, pk)
    assert row.status == "approved" and row.attempts == 1 and row.last_error
    # Not due yet: the backoff holds it.
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 0"
    smtp.start()
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert send_pass(settings, db, now=later).summary() == "sent 1, failed 0, deferred 0"
    assert len(smtp.wait_for(1)) == 1
    assert item(db, pk).status == "sent"


def test_permanent_reply_fails_with_the_reply(db: Database, settings: Settings, smtp: SmtpServer) -> None:
    settings = mail_settings(settings, smtp)
    pk = queue_one(db, settings)
    smtp.reply = "554 5.7.1 rejected: policy"
    assert send_pass(settings, db).summary() == "sent 0, failed 1, deferred 0"
    row = item(db, pk)
    assert row.status == "failed"
    assert row.last_error is not None and "554" in row.last_error and "rejected: policy" in row.last_error
    assert smtp.messages == []


def test_temporary_reply_fails_after_max_attempts(db: Database, settings: Settings, smtp: SmtpServer) -> None:
    settings = mail_settings(settings, smtp, max_attempts=2)
    pk = queue_one(db, settings)
    smtp.reply = "451 4.3.0 try later"
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 1"
    later = datetime.now(UTC) + timedelta(hours=2)
    assert send_pass(settings, db, now=later).summary() == "sent 0, failed 1, deferred 0"
    assert "451" in (item(db, pk).last_error or "")


def test_nothing_is_sent_when_mail_is_disabled(db: Database, settings: Settings, smtp: SmtpServer) -> None:
    enabled = mail_settings(settings, smtp)
    queue_one(db, enabled)
    from abusebox.core.config import ConfigError

    with pytest.raises(ConfigError):
        send_pass(replace(enabled, mail=replace(enabled.mail, enabled=False)), db)
    assert smtp.messages == []


def _config(tmp_path: Path, settings: Settings, smtp: SmtpServer) -> Path:
    path = tmp_path / "crash.toml"
    path.write_text(
        f"""[database]
url = {json.dumps(settings.database.url)}
[mail]
enabled = true
smtp_host = "{smtp.host}"
smtp_port = {smtp.port}
from_address = "csirt@example.net"
send_lease_seconds = 0
timeout_seconds = 5
"""
    )
    return path


def _send_killed(config: Path, smtp: SmtpServer, step: str) -> int:
    """`abusebox outbox send` in a child process that the SMTP server SIGKILLs at ``step``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "abusebox", "outbox", "send", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    smtp.kill_pid, smtp.kill_at = proc.pid, step
    proc.communicate(timeout=60)
    smtp.kill_pid = smtp.kill_at = None
    return proc.returncode


@pytest.mark.parametrize("step", ["MAIL", "DATA"])
def test_sigkill_loses_nothing_and_resends_at_most_once(
    db: Database, settings: Settings, smtp: SmtpServer, tmp_path: Path, step: str
) -> None:
    """MAIL: killed after the claim, before the send; DATA: after the send, before the update."""
    settings = mail_settings(settings, smtp, send_lease_seconds=0.0)
    pk = queue_one(db, settings)
    config = _config(tmp_path, settings, smtp)
    assert _send_killed(config, smtp, step) == -9
    row = item(db, pk)
    assert row.status == "approved" and row.attempts == 1  # the claim was committed
    received_before = len(smtp.messages)
    assert received_before == (1 if step == "DATA" else 0)
    time.sleep(0.01)
    done = subprocess.run(
        [sys.executable, "-m", "abusebox", "outbox", "send", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "sent 1, failed 0, deferred 0"
    got = smtp.wait_for(received_before + 1)
    assert len(got) == received_before + 1
    assert {r.message()["Message-ID"] for r in got} == {row.message_id}
    assert item(db, pk).status == "sent"
    # A later pass sends nothing more.
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 0"
    assert len(smtp.messages) == received_before + 1


def test_second_interrupted_delivery_is_not_sent_again(
    db: Database, settings: Settings, smtp: SmtpServer, tmp_path: Path
) -> None:
    settings = mail_settings(settings, smtp, send_lease_seconds=0.0)
    pk = queue_one(db, settings)
    config = _config(tmp_path, settings, smtp)
    assert _send_killed(config, smtp, "DATA") == -9
    assert _send_killed(config, smtp, "DATA") == -9
    assert len(smtp.messages) == 2  # the original and the one documented resend
    assert send_pass(settings, db).summary() == "sent 0, failed 1, deferred 0"
    row = item(db, pk)
    assert row.status == "failed" and "interrupted twice" in (row.last_error or "")
    assert len(smtp.messages) == 2
