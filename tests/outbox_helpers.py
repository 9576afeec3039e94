"""Helpers for the outbox tests: settings pointing at the test SMTP server, queued rows."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from smtp_server import SmtpServer

from abusebox.cli import main
from abusebox.core.config import Settings
from abusebox.core.mail_config import MailSettings
from abusebox.core.models import RawMessage
from abusebox.outbox.compose import Outgoing, new_message_id
from abusebox.outbox.queue import enqueue
from abusebox.pipeline.counts import IngestResult
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store import outbox as outbox_store
from abusebox.store.db import Database


def mail_settings(settings: Settings, smtp: SmtpServer, **changes: object) -> Settings:
    values: dict[str, object] = {
        "enabled": True,
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "from_address": "csirt@example.net",
        "timeout_seconds": 5.0,
        "retry_base_seconds": 60.0,
    }
    mail = replace(MailSettings(), **(values | changes))  # type: ignore[arg-type]
    return replace(settings, mail=mail)


def queue_one(
    db: Database, settings: Settings, status: str = "approved", to: str = "alice@example.org"
) -> int:
    out = Outgoing(
        to=[to], subject="Test 受付", body="本文です。\nbody\n", message_id=new_message_id(settings.mail)
    )
    with db.session() as session:
        return enqueue(session, settings, out, kind="notify", status=status, actor="test")


def item(db: Database, pk: int) -> outbox_store.OutboxItem:
    with db.session() as session:
        found = outbox_store.get(session, pk)
    assert found is not None
    return found


AUTHSERV = "mx.example.jp"
OURS = "abuse@example.jp"
EN_REPORT = "1764028800.M00P1.01-ssh-bruteforce-en:2,"
JA_REPORT = "1764028800.M01P1.02-ssh-bruteforce-ja-iso2022jp:2,"


def example(name: str) -> bytes:
    from paths import EXAMPLES

    return (EXAMPLES / "cur" / name).read_bytes()


def authenticated(raw: bytes, result: str = "pass", authserv: str = AUTHSERV) -> bytes:
    """``raw`` with our MTA's Authentication-Results on top (DMARC ``result``)."""
    line = f"Authentication-Results: {authserv}; spf=pass smtp.mailfrom=x; dkim=pass; dmarc={result}\r\n"
    return line.encode() + raw


def with_header(raw: bytes, name: str, value: str) -> bytes:
    """Replace (or add) a top-level header; ``value`` is inserted as given (may be encoded)."""
    head, sep, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.split(b"\n")
    out: list[bytes] = []
    skipping = False
    for line in lines:
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        skipping = line.lower().startswith(name.lower().encode() + b":")
        if not skipping:
            out.append(line)
    out.append(f"{name}: {value}".encode())
    return b"\n".join(out) + sep + body


def ack_settings(settings: Settings, smtp: SmtpServer, **mail: object) -> Settings:
    settings = mail_settings(settings, smtp, from_address=OURS, **mail)
    return replace(settings, triage=replace(settings.triage, authserv_id=AUTHSERV))


def ingest(settings: Settings, db: Database, *raws: bytes) -> list[IngestResult]:
    items = [RawMessage(raw, "test", f"m{i}-{len(raw)}") for i, raw in enumerate(raws)]
    with AnalyzerPool(settings) as pool:
        return list(Pipeline(settings, db, pool).ingest(items))


def acks(db: Database) -> list[outbox_store.OutboxItem]:
    with db.session() as session:
        return outbox_store.list_items(session, kind="ack")


# `abusebox outbox list --json`: the fields of every row, in order.
LIST_FIELDS = [
    "id",
    "kind",
    "status",
    "to",
    "subject",
    "message_id",
    "attempts",
    "last_error",
    "incidents",
    "created_at",
    "sent_at",
]
# What a team's mail says about its sender (drafts, forwards, digests).
TEAM = 'team_name = "Example CSIRT"\ncontact_name = "山田 太郎"\ndepartment = "情報システム部"\n'


def mail_config(
    tmp_path: Path, settings: Settings, smtp: SmtpServer, from_address: str, more: str = "", name: str = "cli"
) -> str:
    """A config file for the CLI: the test database, mail on through the test SMTP server
    from ``from_address``; ``more`` is added to the [mail] table (and may open others)."""
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f"[database]\nurl = {json.dumps(settings.database.url)}\n[mail]\nenabled = true\n"
        f'smtp_host = "{smtp.host}"\nsmtp_port = {smtp.port}\nfrom_address = "{from_address}"\n{more}',
        encoding="utf-8",
    )
    return str(path)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``abusebox ARGV`` in this process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err
