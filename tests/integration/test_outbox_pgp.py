"""Outgoing mail signed through pgp/sign.py when [pgp] sign_outgoing is set: verified after SMTP."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from outbox_helpers import item, mail_settings, queue_one
from pgp_support import World, gpg
from smtp_server import SmtpServer

from abusebox.core.config import Settings
from abusebox.outbox.sender import send_pass
from abusebox.store.db import Database


def verify_first_part(home: Path, raw: bytes) -> str:
    """What a receiving client does: cut the signed part at its boundary, canonical CRLF, gpg."""
    raw = re.sub(rb"\r?\n", b"\r\n", raw)
    match = re.search(rb'boundary="([^"]+)"', raw)
    assert match
    delim = b"\r\n--" + match.group(1)
    chunks = raw.split(b"\r\n\r\n", 1)[1].split(delim)
    signed = chunks[1].split(b"\r\n", 1)[1]
    (home / "received.asc").write_bytes(chunks[2].split(b"\r\n\r\n", 1)[1])
    proc = gpg(
        home, "--status-fd", "1", "--verify", str(home / "received.asc"), "-", data=signed, check=False
    )
    return proc.stdout.decode()


def test_outgoing_mail_is_signed_and_verifies(
    db: Database, settings: Settings, smtp: SmtpServer, w: World, receiver: Path
) -> None:
    settings = replace(mail_settings(settings, smtp), pgp=w.settings(sign_outgoing=True))
    pk = queue_one(db, settings)
    assert send_pass(settings, db).summary() == "sent 1, failed 0, deferred 0"
    [got] = smtp.wait_for(1)
    msg = got.message()
    assert msg.get_content_type() == "multipart/signed"
    assert msg["Message-ID"] == item(db, pk).message_id
    status = verify_first_part(receiver, got.data)
    assert f"VALIDSIG {w.fpr['ours']}" in status and "GOODSIG" in status
