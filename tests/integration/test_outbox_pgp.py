"""Outgoing mail signed through pgp/sign.py when [pgp] sign_outgoing is set: verified after SMTP."""

from __future__ import annotations

import email
import re
from dataclasses import replace
from datetime import UTC, datetime
from email.policy import default
from pathlib import Path

from outbox_helpers import (
    EN_REPORT,
    ack_settings,
    acks,
    authenticated,
    example,
    ingest,
    item,
    mail_settings,
    queue_one,
)
from pgp_support import World, gpg
from smtp_server import SmtpServer

from abusebox.core.config import Settings
from abusebox.outbox.sender import send_pass
from abusebox.store import incidents as incident_store
from abusebox.store import outbox as outbox_store
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


ALICE_ADDRESS = "alice@reporter.example"
BODY = "本文です。\nbody\n"


def lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def decrypt_received(home: Path, raw: bytes) -> tuple[bytes, str]:
    """What Alice's client does with RFC 3156 multipart/encrypted: (the decrypted entity, status)."""
    msg = email.message_from_bytes(raw, policy=default)
    assert msg.get_content_type() == "multipart/encrypted"
    assert msg.get_param("protocol") == "application/pgp-encrypted"
    control, body = msg.get_payload()
    assert control.get_content_type() == "application/pgp-encrypted"
    assert control.get_payload(decode=True).strip() == b"Version: 1"
    assert body.get_content_type() == "application/octet-stream"
    armored = body.get_payload(decode=True)
    assert armored.startswith(b"-----BEGIN PGP MESSAGE-----")
    proc = gpg(home, "--status-fd", "2", "--decrypt", data=armored)
    return proc.stdout, proc.stderr.decode()


def test_mail_to_a_configured_key_is_encrypted_and_decrypts(
    db: Database, settings: Settings, smtp: SmtpServer, w: World, receiver: Path
) -> None:
    pgp = w.settings(encrypt_to=[ALICE_ADDRESS])
    settings = replace(mail_settings(settings, smtp), pgp=pgp)
    pk = queue_one(db, settings, to=ALICE_ADDRESS)
    clear = queue_one(db, settings, to="bob@elsewhere.example")  # no key configured: in the clear
    assert send_pass(settings, db).summary() == "sent 2, failed 0, deferred 0"
    by_id = {r.message()["Message-ID"]: r for r in smtp.wait_for(2)}
    got = by_id[item(db, pk).message_id]
    assert BODY.encode() not in got.data and "本文".encode() not in got.data
    entity, status = decrypt_received(receiver, got.data)
    assert "DECRYPTION_OKAY" in status and w.fpr["alice"][-16:] in status.replace(" ", "")
    inner = email.message_from_bytes(entity, policy=default)
    assert inner.get_content_type() == "text/plain"
    assert lf(inner.get_content()) == BODY
    assert got.message()["Subject"] == "Test 受付"  # headers stay in the clear (RFC 3156)
    assert by_id[item(db, clear).message_id].message().get_content_type() == "text/plain"


def test_signed_and_encrypted_mail_decrypts_to_a_valid_signature(
    db: Database, settings: Settings, smtp: SmtpServer, w: World, receiver: Path
) -> None:
    pgp = w.settings(sign_outgoing=True, encrypt_to=[ALICE_ADDRESS])
    settings = replace(mail_settings(settings, smtp), pgp=pgp)
    queue_one(db, settings, to=ALICE_ADDRESS)
    assert send_pass(settings, db).summary() == "sent 1, failed 0, deferred 0"
    [got] = smtp.wait_for(1)
    entity, _status = decrypt_received(receiver, got.data)
    inner = email.message_from_bytes(entity, policy=default)
    assert inner.get_content_type() == "multipart/signed"
    assert inner.get_param("protocol") == "application/pgp-signature"
    status = verify_first_part(receiver, entity)
    assert f"VALIDSIG {w.fpr['ours']}" in status and "GOODSIG" in status
    signed = inner.get_payload()[0]
    # The line break before a boundary belongs to the boundary (RFC 2046): one is signed away.
    assert lf(signed.get_content()) == BODY.rstrip("\n")


def test_no_usable_key_for_an_encrypt_to_recipient_fails_the_row_and_sends_nothing(
    db: Database, settings: Settings, smtp: SmtpServer, w: World
) -> None:
    """Never unencrypted instead: the row is `failed` with the reason, and the report is processed."""
    settings = ack_settings(settings, smtp)
    reporter = "security@reporter.example.net"  # the example report's sender; we hold no key of theirs
    settings = replace(settings, pgp=w.settings(encrypt_to=[reporter]))
    [result] = ingest(settings, db, authenticated(example(EN_REPORT)))
    assert result.outcome == "processed" and result.verdict == "report" and result.incidents
    [ack] = acks(db)
    assert ack.status == "failed"
    assert f"cannot encrypt to {reporter}" in (ack.last_error or "")
    with db.session() as session:
        assert outbox_store.raw_of(session, ack.id) == b""
        detail = incident_store.get_incident(session, result.incidents[0])
    assert detail is not None and "outbox_failed" in [e.action for e in detail.events]
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 0"
    # A handler approves it again anyway: still nothing goes out.
    with db.session() as session:
        assert outbox_store.set_status(session, ack.id, ("failed",), "approved", "desk", datetime.now(UTC))
    assert send_pass(settings, db).summary() == "sent 0, failed 1, deferred 0"
    assert "nothing to send" in (item(db, ack.id).last_error or "")
    assert smtp.messages == []
