"""Daily digests to JPCERT/CC: the form layout, a CSV that parses back, nothing twice; both databases."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from incident_helpers import add_report
from outbox_helpers import TEAM, item, mail_config, mail_settings, run_cli
from pgp_support import World
from smtp_server import SmtpServer

from abusebox.core.config import Settings
from abusebox.core.mail_config import DigestRecipient
from abusebox.core.models import Observation
from abusebox.incidents.grouping import Grouper
from abusebox.outbox.digest import run_digest
from abusebox.runtime.jobs import register_outbox
from abusebox.runtime.service import Worker
from abusebox.store.db import Database

T = datetime(2026, 11, 19, 1, 20, 30, tzinfo=UTC)
HOSTILE = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@import", "\tTAB", "plain line 203.0.113.9"]


def seed(db: Database, settings: Settings) -> list[int]:
    grouper = Grouper(settings)
    touched: list[int] = []
    with db.session() as session:
        for ip, category, evidence in (
            ("203.0.113.9", "brute-force", HOSTILE[:3]),
            ("198.51.100.7", "scan", HOSTILE[3:]),
        ):
            observations = [
                Observation(ip, T.replace(minute=20 + i), category, 22, e) for i, e in enumerate(evidence)
            ]
            stored = add_report(session, observations, received=T)
            touched += grouper.group_report(session, stored, category)
    return sorted(set(touched))


DIGEST = """
[[digest]]
name = "jpcert-daily"
to = ["info@jpcert.example"]
schedule = "0 9 * * *"
timezone = "Asia/Tokyo"
template = "digest-jpcert"
language = "ja"
format = "csv+xarf"
"""


def test_daily_digest_for_jpcert(
    db: Database, settings: Settings, smtp: SmtpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    incidents = seed(db, settings)
    assert len(incidents) == 2
    cfg = mail_config(tmp_path, settings, smtp, "abuse@example.jp", TEAM + DIGEST)
    code, out, _ = run_cli(capsys, "digest", "run", "--dry-run", "--config", cfg)
    assert code == 0 and "1. 連絡先" in out and "dry run: nothing queued" in out
    assert json.loads(run_cli(capsys, "outbox", "list", "--json", "--config", cfg)[1]) == []
    code, out, _ = run_cli(capsys, "digest", "run", "--config", cfg)
    assert code == 0 and "jpcert-daily: 2 incidents, 6 observations, queued as outbox" in out
    assert run_cli(capsys, "outbox", "send", "--config", cfg)[1].strip() == "sent 1, failed 0, deferred 0"
    [got] = smtp.wait_for(1)
    assert got.rcpt_tos == ["info@jpcert.example"]
    msg = got.message()
    text = msg.get_body(preferencelist=("plain",))
    assert text is not None
    body = text.get_content().replace("\r\n", "\n")
    for section in (
        "1. 連絡先",
        "2. この報告の目的",
        "[x] 3 関係サイトへの連絡を希望",
        "組織名:     Example CSIRT",
    ):
        assert section in body
    assert body.count("3. インシデントの種類") == 2 and body.count("6. 関連するログ") == 2
    assert "2026-11-19 10:20:30 (2026-11-19T01:20:30Z)  203.0.113.9 ポート 22" in body  # JST and UTC
    files = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    [csv_name] = [n for n in files if n.endswith(".csv")]
    data = files[csv_name]
    text_csv = data.decode("utf-8") if isinstance(data, bytes) else data
    rows = list(csv.DictReader(io.StringIO(text_csv)))
    assert [r["source_ip"] for r in rows] == ["203.0.113.9"] * 3 + ["198.51.100.7"] * 3
    assert {r["classification_taxonomy"] for r in rows} == {"intrusion-attempts", "information-gathering"}
    assert {r["classification_type"] for r in rows} == {"brute-force", "scanner"}
    neutralised = ["'" + e if e[0] in "=+-@\t" else e for e in HOSTILE]
    assert [r["evidence"] for r in rows] == neutralised
    assert rows[0]["time"] == "2026-11-19T01:20:30Z" and rows[0]["ticket"].endswith(f"-{incidents[0]:06d}")
    [xarf_name] = [n for n in files if n.endswith(".xarf.json")]
    xarf = files[xarf_name]
    reports = json.loads(xarf.decode("utf-8") if isinstance(xarf, bytes) else xarf)
    assert len(reports) == 6 and reports[0]["Report"]["SourceIp"] == "203.0.113.9"
    # A second run: nothing new, nothing sent.
    assert run_cli(capsys, "digest", "run", "--config", cfg)[1].strip() == "jpcert-daily: nothing new"
    assert run_cli(capsys, "outbox", "send", "--config", cfg)[1].strip() == "sent 0, failed 0, deferred 0"
    assert len(smtp.messages) == 1


def test_each_digest_recipient_is_a_cron_job_in_its_zone(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    daily = DigestRecipient(
        "jpcert-daily", ["info@jpcert.example"], schedule="0 9 * * *", timezone="Asia/Tokyo"
    )
    configured = replace(mail_settings(settings, smtp), digest=[daily])
    worker = Worker(configured, db)
    try:
        register_outbox(worker, configured, db)
        job = worker._periodic["digest:jpcert-daily"]
        assert isinstance(job.trigger, CronTrigger) and job.leader_only
        fire = job.trigger.get_next_fire_time(None, datetime(2026, 11, 19, 0, 30, tzinfo=UTC))
        assert fire is not None and fire.astimezone(ZoneInfo("Asia/Tokyo")).hour == 9
        assert fire.astimezone(UTC) == datetime(2026, 11, 19, 0, 0, tzinfo=UTC).replace(day=20)
        job.func()  # nothing to digest: queues nothing
    finally:
        worker.close()
    quiet = Worker(settings, db)  # the default config: mail disabled, no sender, no digests
    try:
        register_outbox(quiet, settings, db)
        assert quiet._periodic == {}
    finally:
        quiet.close()


def test_a_digest_that_cannot_be_encrypted_leaves_its_observations_for_the_next_run(
    db: Database, settings: Settings, smtp: SmtpServer, w: World
) -> None:
    seed(db, settings)
    recipient = DigestRecipient(name="cert", to=["info@jpcert.example"])
    settings = mail_settings(settings, smtp)
    locked = replace(settings, pgp=w.settings(encrypt_to=["info@jpcert.example"]))  # no key held
    with db.session() as session:
        digest, pk = run_digest(session, locked, recipient)
    assert digest is not None and len(digest.observations) == 6 and pk is not None
    failed = item(db, pk)
    assert failed.status == "failed" and "cannot encrypt to info@jpcert.example" in (failed.last_error or "")
    with db.session() as session:
        again, second = run_digest(session, settings, recipient)
    assert again is not None and sorted(again.observations) == sorted(digest.observations)
    assert second is not None and item(db, second).status == "approved"
