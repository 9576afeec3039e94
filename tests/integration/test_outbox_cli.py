"""`abusebox outbox list|show|approve|discard|send` on both databases, JSON fields exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from outbox_helpers import LIST_FIELDS, mail_config, mail_settings, queue_one, run_cli
from smtp_server import SmtpServer

from abusebox.core.config import Settings
from abusebox.store.db import Database


def test_outbox_cli_round(
    db: Database, settings: Settings, smtp: SmtpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = mail_settings(settings, smtp)
    draft = queue_one(db, settings, status="draft")
    other = queue_one(db, settings, status="draft", to="bob@example.org")
    cfg = mail_config(tmp_path, settings, smtp, "csirt@example.net")
    code, out, _ = run_cli(capsys, "outbox", "list", "--json", "--config", cfg)
    assert code == 0
    rows = json.loads(out)
    assert [list(r) for r in rows] == [LIST_FIELDS, LIST_FIELDS]
    assert {r["status"] for r in rows} == {"draft"} and rows[0]["sent_at"] is None
    assert run_cli(capsys, "outbox", "send", "--config", cfg)[1].strip() == "sent 0, failed 0, deferred 0"
    assert run_cli(capsys, "outbox", "approve", str(draft), "--actor", "alice", "--config", cfg)[0] == 0
    assert run_cli(capsys, "outbox", "discard", str(other), "--actor", "alice", "--config", cfg)[0] == 0
    code, _out, err = run_cli(capsys, "outbox", "approve", str(other), "--config", cfg)
    assert code == 1 and "discarded" in err
    assert run_cli(capsys, "outbox", "send", "--config", cfg)[1].strip() == "sent 1, failed 0, deferred 0"
    assert [r.rcpt_tos for r in smtp.wait_for(1)] == [["alice@example.org"]]
    code, out, _ = run_cli(capsys, "outbox", "show", str(draft), "--json", "--config", cfg)
    shown = json.loads(out)
    assert shown["status"] == "sent" and shown["approved_by"] == "alice" and "本文です" in shown["body"]
    assert shown["sent_at"].endswith("Z")
    code, out, _ = run_cli(capsys, "outbox", "list", "--status", "discarded", "--json", "--config", cfg)
    assert [r["id"] for r in json.loads(out)] == [other]
    code, out, _ = run_cli(capsys, "outbox", "list", "--config", cfg)
    assert "bob@example.org" in out and "discarded" in out


def test_outbox_send_refuses_when_mail_disabled(
    db: Database, settings: Settings, smtp: SmtpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = mail_settings(settings, smtp)
    queue_one(db, settings)
    cfg = Path(mail_config(tmp_path, settings, smtp, "csirt@example.net"))
    cfg.write_text(cfg.read_text().replace("enabled = true", "enabled = false"))
    code, _out, err = run_cli(capsys, "outbox", "send", "--config", str(cfg))
    assert code == 2 and "enabled is false" in err
    assert smtp.messages == []
