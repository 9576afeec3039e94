"""Helpers for the outbox tests: settings pointing at the test SMTP server, queued rows."""

from __future__ import annotations

from dataclasses import replace

from smtp_server import SmtpServer

from abusebox.core.config import MailSettings, Settings
from abusebox.outbox.compose import Outgoing, new_message_id
from abusebox.outbox.queue import enqueue
from abusebox.store import outbox as outbox_store
from abusebox.store.db import Database


def mail_settings(settings: Settings, smtp: SmtpServer, **changes: object) -> Settings:
    mail = replace(
        MailSettings(),
        enabled=True,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        from_address="csirt@example.net",
        timeout_seconds=5.0,
        retry_base_seconds=60.0,
        **changes,  # type: ignore[arg-type]
    )
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
