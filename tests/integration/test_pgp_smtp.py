"""A signed acknowledgement through a real SMTP round trip (smtplib -> aiosmtpd), checked by gpg.

There is no acknowledgement sender yet; this proves that what ``protect_outgoing`` returns
survives SMTP as sent by the standard library (dot-stuffing, line endings, 7-bit transport)
and verifies on the receiving side with plain gpg and with our own pipeline.
"""

from __future__ import annotations

import re
import smtplib
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pgp_support import World, gpg

from abusebox.parsing.mime import parse_message
from abusebox.pgp import check_pgp
from abusebox.pgp.sign import protect_outgoing

# Lines that SMTP transports alter unless the signed part protects them (RFC 3156 3):
# a lone dot (dot-stuffing), "From " (mbox escaping), trailing spaces, 8-bit text.
ACK = (
    "受付番号 #1042 で受け付けました。\n"
    ".\n"
    "..leading dots\n"
    "From the abuse desk, with a trailing space \n"
    "We received your report about 203.0.113.9.\n"
    "-- \n"
    "Example CSIRT\n"
)


class _Inbox:
    """aiosmtpd handler keeping each received message's envelope and exact bytes."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.received = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        self.received.set()
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, _Inbox]]:
    inbox = _Inbox()
    with socket.socket() as probe:  # aiosmtpd's readiness check cannot use port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def acknowledgement() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Example CSIRT <csirt@example.net>"
    msg["To"] = "alice@reporter.example"
    msg["Subject"] = "[#1042] 受付のお知らせ / report received"
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(ACK)
    return msg


def send(controller: Controller, inbox: _Inbox, msg: EmailMessage) -> bytes:
    with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as client:
        client.sendmail("csirt@example.net", ["alice@reporter.example"], msg.as_bytes(policy=SMTP))
    assert inbox.received.wait(10)
    [(sender, rcpts, data)] = inbox.messages
    assert (sender, rcpts) == ("csirt@example.net", ["alice@reporter.example"])
    return data


def gpg_verify_first_part(home: Path, raw: bytes) -> str:
    """What a receiving client does: cut the signed part at its boundary, canonical CRLF, gpg."""
    raw = re.sub(rb"\r?\n", b"\r\n", raw)
    match = re.search(rb'boundary="([^"]+)"', raw)
    assert match
    delim = b"\r\n--" + match.group(1)
    chunks = raw.split(b"\r\n\r\n", 1)[1].split(delim)
    signed = chunks[1].split(b"\r\n", 1)[1]  # after the first delimiter line
    signature = chunks[2].split(b"\r\n\r\n", 1)[1]
    (home / "received.asc").write_bytes(signature)
    proc = gpg(
        home, "--status-fd", "1", "--verify", str(home / "received.asc"), "-", data=signed, check=False
    )
    return proc.stdout.decode()


def test_signed_acknowledgement_survives_smtp_and_verifies(
    w: World, receiver: Path, smtp_server: tuple[Controller, _Inbox]
) -> None:
    signed = protect_outgoing(acknowledgement(), ["alice@reporter.example"], w.settings(sign_outgoing=True))
    received = send(*smtp_server, signed)
    assert received.isascii()  # nothing for a relay to re-encode
    status = gpg_verify_first_part(receiver, received)
    assert f"VALIDSIG {w.fpr['ours']}" in status and "GOODSIG" in status
    # Our own pipeline on the received bytes agrees, and the text is intact.
    parsed = parse_message(received)
    result, _ = check_pgp(parsed, w.settings())
    assert (result.status, result.signer_matches_from, result.partially_signed) == ("valid", True, False)
    assert ".\n..leading dots\nFrom the abuse desk, with a trailing space \n" in parsed.body_text.replace(
        "\r\n", "\n"
    )
    # A change in transit is caught by the receiver.
    status = gpg_verify_first_part(receiver, received.replace(b"203.0.113.9", b"203.0.113.8"))
    assert "BADSIG" in status and "GOODSIG" not in status


def test_signed_and_encrypted_acknowledgement_over_smtp(
    w: World, receiver: Path, smtp_server: tuple[Controller, _Inbox]
) -> None:
    settings = w.settings(sign_outgoing=True, encrypt_to=["alice@reporter.example"])
    msg = protect_outgoing(acknowledgement(), ["alice@reporter.example"], settings)
    received = send(*smtp_server, msg)
    assert b"203.0.113.9" not in received
    start = received.index(b"-----BEGIN PGP MESSAGE-----")
    armored = received[start : received.index(b"-----END PGP MESSAGE-----") + 25]
    decrypted = gpg(receiver, "--decrypt", data=armored).stdout
    status = gpg_verify_first_part(receiver, b"Content-Type: x\r\n\r\n" + decrypted)
    assert f"VALIDSIG {w.fpr['ours']}" in status
    assert "203.0.113.9" in parse_message(b"From: csirt@example.net\r\n" + decrypted).body_text
