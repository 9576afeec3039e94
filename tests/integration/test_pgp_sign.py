"""Signing and encrypting outgoing mail; the receiving side checks with plain gpg."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from pgp_support import World, gpg

from abusebox.parsing.mime import parse_message
from abusebox.pgp import check_pgp
from abusebox.pgp.sign import OutgoingPgpError, encrypt_message, protect_outgoing, sign_message

ACK = (
    "受付番号 #1042 で受け付けました。\n"
    "We received your report about 203.0.113.9.\n"
    "From the abuse desk, with a trailing space \n"
    "-- \n"
    "Example CSIRT\n"
)


def ack(from_: str = "csirt@example.net") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Example CSIRT <{from_}>"
    msg["To"] = "alice@reporter.example"
    msg["Subject"] = "[#1042] 受付のお知らせ / report received"
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(ACK)
    msg.add_attachment(b"ticket,1042\n", maintype="text", subtype="csv", filename="ticket.csv")
    return msg


def receiver_verify(home: Path, raw: bytes) -> str:
    """What a receiving mail client does: cut the first part at the boundary, gpg --verify."""
    boundary = re.search(rb'boundary="([^"]+)"', raw)
    assert boundary
    delim = b"\r\n--" + boundary.group(1)
    body = raw.split(b"\r\n\r\n", 1)[1]
    chunks = body.split(delim)
    signed = chunks[1].split(b"\r\n", 1)[1]  # after the first delimiter line
    signature = chunks[2].split(b"\r\n\r\n", 1)[1]
    sig_path = home / "received.asc"
    sig_path.write_bytes(signature)
    proc = gpg(home, "--status-fd", "1", "--verify", str(sig_path), "-", data=signed, check=False)
    return proc.stdout.decode()


def test_signed_acknowledgement_verifies_on_the_receiving_side(w: World, receiver: Path) -> None:
    signed = sign_message(ack(), w.settings())
    assert signed.get_content_type() == "multipart/signed"
    assert signed.get_param("micalg") == "pgp-sha256"
    assert signed.get_param("protocol") == "application/pgp-signature"
    assert signed["Subject"] == "[#1042] 受付のお知らせ / report received"
    raw = signed.as_bytes(policy=SMTP)
    assert raw.isascii()  # 7-bit clean: no relay needs to re-encode the signed part
    status = receiver_verify(receiver, raw)
    assert f"VALIDSIG {w.fpr['ours']}" in status
    assert "GOODSIG" in status
    # And through our own pipeline after a round trip through bytes (LF line endings too).
    for wire in (raw, raw.replace(b"\r\n", b"\n")):
        result, _ = check_pgp(parse_message(wire), w.settings())
        assert (result.status, result.signer_matches_from, result.partially_signed) == ("valid", True, False)
        assert "203.0.113.9" in parse_message(wire).body_text


def test_tampering_in_transit_is_detected(w: World, receiver: Path) -> None:
    raw = sign_message(ack(), w.settings()).as_bytes(policy=SMTP).replace(b"#1042", b"#1043")
    assert "BADSIG" in receiver_verify(receiver, raw)
    assert check_pgp(parse_message(raw), w.settings())[0].status == "invalid"


def test_signing_without_a_key_refuses(w: World) -> None:
    with pytest.raises(OutgoingPgpError):
        sign_message(ack(), w.settings(key_fingerprint=None))


def test_signed_then_encrypted_to_the_reporter(w: World, receiver: Path) -> None:
    settings = w.settings(sign_outgoing=True, encrypt_to=["Alice@Reporter.example"])
    msg = protect_outgoing(ack(), ["alice@reporter.example"], settings)
    assert msg.get_content_type() == "multipart/encrypted"
    raw = msg.as_bytes(policy=SMTP)
    assert b"203.0.113.9" not in raw
    armored = raw[raw.index(b"-----BEGIN PGP MESSAGE-----") : raw.index(b"-----END PGP MESSAGE-----") + 25]
    decrypted = gpg(receiver, "--decrypt", data=armored).stdout
    inner = b"From: csirt@example.net\r\n" + decrypted
    assert "203.0.113.9" in parse_message(inner).body_text
    assert "GOODSIG" in receiver_verify(receiver, b"Content-Type: x\r\n\r\n" + decrypted)
    # We encrypted to ourselves too, so the desk reads what it sent.
    result, content = check_pgp(parse_message(raw), w.settings())
    assert (result.status, result.decrypted, result.signer_matches_from) == ("valid", True, True)
    assert content is not None and "203.0.113.9" in content.body_text


def test_no_encryption_without_exactly_one_usable_key(w: World) -> None:
    with pytest.raises(OutgoingPgpError, match="no usable key"):
        encrypt_message(ack(), ["nobody@example.org"], w.settings())
    # Not listed in encrypt_to: sent signed only.
    msg = protect_outgoing(ack(), ["alice@reporter.example"], w.settings(sign_outgoing=True))
    assert msg.get_content_type() == "multipart/signed"


def test_an_empty_passphrase_variable_does_not_eat_the_first_line(
    w: World, receiver: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # python-gnupg adds --passphrase-fd 0 for "" but writes no passphrase line: gpg would
    # read the message's first line as the passphrase and sign the rest.
    monkeypatch.setenv("ABX_TEST_EMPTY_PASSPHRASE", "")
    signed = sign_message(ack(), w.settings(passphrase_env="ABX_TEST_EMPTY_PASSPHRASE"))
    raw = signed.as_bytes(policy=SMTP)
    assert "GOODSIG" in receiver_verify(receiver, raw)
    assert check_pgp(parse_message(raw), w.settings())[0].status == "valid"
