"""`abusebox forward`: routing rules, the JPCERT/CC form layout, once per rule, both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from outbox_helpers import EN_REPORT, TEAM, ack_settings, authenticated, example, ingest, mail_config, run_cli
from smtp_server import SmtpServer
from sqlalchemy import update

from abusebox.core.config import Settings
from abusebox.outbox.sender import send_pass
from abusebox.store.db import Database
from abusebox.store.schema import IncidentRow

RULES = """
[[forward]]
name = "jpcert"
to = ["info@jpcert.example"]
country = ["JP"]
ours = "external"
format = "jpcert"
language = "ja"
charset = "iso-2022-jp"

[[forward]]
name = "abuse-contact"
to_abuse_contact = true
format = "text"
language = "en"
"""


def test_forward_to_jpcert_in_the_form_layout(
    db: Database, settings: Settings, smtp: SmtpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [result] = ingest(ack_settings(settings, smtp), db, authenticated(example(EN_REPORT)))
    [incident] = result.incidents
    with db.session() as session:  # what enrichment learns from RDAP
        session.execute(update(IncidentRow).where(IncidentRow.id == incident).values(country="JP", asn=64500))
    cfg = mail_config(tmp_path, settings, smtp, "abuse@example.jp", TEAM + RULES)
    code, _out, err = run_cli(capsys, "forward", str(incident), "--config", cfg)
    assert code == 1 and "contacting" in err  # only what a handler moved to contacting
    for state in ("triage", "contacting"):
        assert (
            run_cli(capsys, "incidents", "set-state", str(incident), state, "--note", "x", "--config", cfg)[0]
            == 0
        )
    code, out, _err = run_cli(capsys, "forward", str(incident), "--dry-run", "--config", cfg)
    assert code == 0 and "1. 連絡先" in out and "queued" not in out
    assert (
        json.loads(run_cli(capsys, "outbox", "list", "--json", "--kind", "forward", "--config", cfg)[1]) == []
    )
    code, out, _err = run_cli(capsys, "forward", str(incident), "--actor", "alice", "--config", cfg)
    assert code == 0 and "queued as outbox" in out
    code, _out, err = run_cli(capsys, "forward", str(incident), "--config", cfg)
    assert code == 1 and "already forwarded" in err
    assert run_cli(capsys, "outbox", "send", "--config", cfg)[1].strip().startswith("sent ")
    [got] = [r for r in smtp.wait_for(2) if r.rcpt_tos == ["info@jpcert.example"]]
    msg = got.message()
    assert msg.get_content_charset() == "iso-2022-jp"
    body = msg.get_content().replace("\r\n", "\n")
    sections = [
        "1. 連絡先",
        "2. この報告の目的",
        "3. インシデントの種類",
        "4. 発生日時",
        "5. 送信元 IP アドレス",
        "6. 関連するログ",
    ]
    positions = [body.index(s) for s in sections]
    assert positions == sorted(positions)
    assert "氏名:       山田 太郎" in body and "組織名:     Example CSIRT" in body
    assert "部署名:     情報システム部" in body and "電子メール: abuse@example.jp" in body
    assert "[x] 3 関係サイトへの連絡を希望" in body and "[ ] 1 情報提供" in body
    assert "タイムゾーン: 日本時間 JST, UTC+9" in body
    assert "203.0.113.45 (JP, AS64500)" in body
    assert "2026-11-19 17:14:02 JST (2026-11-19T08:14:02Z)  203.0.113.45" in body  # a log line, timestamped
    assert "Failed password for root from 203.0.113.45" in body
    shown = json.loads(run_cli(capsys, "outbox", "list", "--json", "--kind", "forward", "--config", cfg)[1])
    assert [r["incidents"] for r in shown] == [[incident]] and shown[0]["status"] == "sent"


def test_other_countries_go_to_the_abuse_contact(
    db: Database, settings: Settings, smtp: SmtpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [result] = ingest(ack_settings(settings, smtp), db, authenticated(example(EN_REPORT)))
    [incident] = result.incidents
    with db.session() as session:
        session.execute(
            update(IncidentRow)
            .where(IncidentRow.id == incident)
            .values(country="DE", abuse_contacts=["abuse@isp.example.de"], state="contacting")
        )
    cfg = mail_config(tmp_path, settings, smtp, "abuse@example.jp", TEAM + RULES)
    code, out, _err = run_cli(capsys, "forward", str(incident), "--dry-run", "--config", cfg)
    assert code == 0 and out.startswith("To: abuse@isp.example.de")
    assert "Logs (times in UTC)" in out
    code, _out, err = run_cli(capsys, "forward", str(incident), "--rule", "nope", "--config", cfg)
    assert code == 1 and "no [[forward]] rule named" in err


def test_an_auto_rule_forwards_once_without_waiting(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    from dataclasses import replace

    from abusebox.core.mail_config import ForwardRule
    from abusebox.outbox.forward import auto_forward

    base = ack_settings(settings, smtp)
    [result] = ingest(base, db, authenticated(example(EN_REPORT)))
    [incident] = result.incidents
    rule = ForwardRule("jp-auto", to=["info@jpcert.example"], country=["JP"], auto=True)
    auto = replace(base, forward=[rule])
    with db.session() as session:
        assert auto_forward(session, auto) == []  # the country is not known yet
        session.execute(update(IncidentRow).where(IncidentRow.id == incident).values(country="jp"))
    with db.session() as session:
        assert len(auto_forward(session, auto)) == 1
    with db.session() as session:
        assert auto_forward(session, auto) == []  # once per rule and incident
    send_pass(auto, db)
    assert [r.rcpt_tos for r in smtp.wait_for(2) if r.rcpt_tos == ["info@jpcert.example"]]
