"""Helpers for the outbox tests: settings pointing at the test SMTP server, queued rows."""

from __future__ import annotations

from dataclasses import replace

from smtp_server import SmtpServer

from abusebox.core.config import MailSettings, Settings
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
