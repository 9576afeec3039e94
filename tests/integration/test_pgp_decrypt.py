"""Decryption of reports sent to our key; no-MDC ciphertext and foreign keys are refused."""

from __future__ import annotations

import pytest
from pgp_support import (
    REPORT,
    World,
    fingerprint,
    gpg,
    kill_agents,
    message,
    multipart,
    new_home,
    part_bytes,
    pgp_mime_signed,
    text_part,
)

from abusebox.core.config import Settings
from abusebox.parsing.mime import parse_message
from abusebox.pgp import check_pgp
from abusebox.pipeline.analyze import analyze

HTML = (
    "<html><body><p>Attack from <b>203.0.113.9</b></p><img src='http://tracker.invalid/x.png'></body></html>"
)


def pgp_mime_encrypted(armored: bytes) -> bytes:
    control = b"Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
    data = b"Content-Type: application/octet-stream\r\n\r\n" + armored
    ctype = 'multipart/encrypted; protocol="application/pgp-encrypted"'
    head, body = multipart(ctype, [control, data], "enc-b0undary")
    return message(head + b"\r\n" + body)


def test_pgp_mime_encrypted_to_us_decrypts_and_feeds_the_pipeline(w: World) -> None:
    raw = pgp_mime_encrypted(w.encrypt(part_bytes(text_part(REPORT)), "ours"))
    assert b"203.0.113.9" not in raw
    result, content = check_pgp(parse_message(raw), w.settings())
    assert (result.status, result.encrypted, result.decrypted) == ("none", True, True)
    assert content is not None and "203.0.113.9" in content.body_text
    assert content.from_addr == "alice@reporter.example"
    # The whole pipeline extracts from the plaintext; the evidence stays the ciphertext.
    analysis = analyze(raw, Settings(pgp=w.settings()))
    assert analysis.parsed.raw == raw
    assert analysis.pgp.contract()["encrypted"] is True
    assert {o.ip for o in analysis.extraction.observations} == {"203.0.113.9"}


def test_inline_encrypted_to_us(w: World) -> None:
    armored = w.encrypt(REPORT.encode(), "ours")
    raw = message(part_bytes(text_part("Please see below.\n\n" + armored.decode())))
    result, content = check_pgp(parse_message(raw), w.settings())
    assert (result.status, result.decrypted) == ("none", True)
    assert content is not None and "Failed password for root from 203.0.113.9" in content.body_text


def test_signed_then_encrypted_reports_the_inner_signature(w: World) -> None:
    signed = part_bytes(text_part(REPORT))
    inner = pgp_mime_signed(signed, w.detach_sign("alice", signed))
    result, content = check_pgp(parse_message(pgp_mime_encrypted(w.encrypt(inner, "ours"))), w.settings())
    assert (result.status, result.signer_matches_from, result.encrypted) == ("valid", True, True)
    assert not result.partially_signed
    assert content is not None and "203.0.113.9" in content.body_text


def test_signed_and_encrypted_in_one_message(w: World) -> None:
    data = part_bytes(text_part(REPORT))
    armored = w.encrypt(data, "ours", "--sign", "-u", w.fpr["alice"])
    result, content = check_pgp(parse_message(pgp_mime_encrypted(armored)), w.settings())
    assert (result.status, result.fingerprint, result.partially_signed) == ("valid", w.fpr["alice"], False)
    assert content is not None


def test_decrypted_html_is_parsed_not_rendered(w: World) -> None:
    html = part_bytes(text_part(HTML, subtype="html"))
    result, content = check_pgp(parse_message(pgp_mime_encrypted(w.encrypt(html, "ours"))), w.settings())
    assert result.decrypted
    assert content is not None
    assert [p.content_type for p in content.text_parts] == ["text/html"]
    assert "tracker.invalid" in content.text_parts[0].text  # kept as text; nothing was fetched


def test_ciphertext_without_mdc_is_refused(w: World) -> None:
    # gpg 2.2 still writes such ciphertext with --rfc2440 and a 64-bit legacy cipher.
    armored = w.encrypt(REPORT.encode(), "ours", "--rfc2440", "--cipher-algo", "CAST5")
    raw = message(part_bytes(text_part(armored.decode())))
    result, content = check_pgp(parse_message(raw), w.settings())
    assert content is None
    assert (result.status, result.encrypted, result.decrypted) == ("error", True, False)
    assert "no integrity protection" in (result.detail or "")
    # Same through PGP/MIME.
    result, content = check_pgp(parse_message(pgp_mime_encrypted(armored)), w.settings())
    assert (result.status, content) == ("error", None)


def test_encrypted_to_another_key_is_recorded(w: World) -> None:
    raw = pgp_mime_encrypted(w.encrypt(part_bytes(text_part(REPORT)), "other"))
    result, content = check_pgp(parse_message(raw), w.settings())
    assert content is None
    assert (result.status, result.encrypted, result.decrypted) == ("error", True, False)
    assert "not encrypted to our key" in (result.detail or "")
    analysis = analyze(raw, Settings(pgp=w.settings()))  # the worker carries on
    assert analysis.pgp.status == "error"


def test_passphrase_protected_key(
    w: World, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = new_home(tmp_path_factory.mktemp("protected"))
    uid = "Protected Desk <desk@example.net>"
    (home / "gpg-agent.conf").write_text("s2k-count 65536\n")  # skip the slow s2k calibration
    gpg(home, "--quick-gen-key", uid, "ed25519", "sign", "0", passphrase="s3cret")
    gpg(home, "--quick-add-key", fingerprint(home, uid), "cv25519", "encr", "0", passphrase="s3cret")
    report = part_bytes(text_part(REPORT))
    raw = pgp_mime_encrypted(gpg(home, "--trust-model", "always", "-r", uid, "-a", "-e", data=report).stdout)
    settings = w.settings(home, passphrase_env="ABX_TEST_PGP_PASSPHRASE")
    monkeypatch.delenv("ABX_TEST_PGP_PASSPHRASE", raising=False)
    result, content = check_pgp(parse_message(raw), settings)  # no passphrase: fails fast, no pinentry
    assert (result.status, content) == ("error", None)
    assert "decryption failed" in (result.detail or "")
    monkeypatch.setenv("ABX_TEST_PGP_PASSPHRASE", "s3cret")
    try:
        result, content = check_pgp(parse_message(raw), settings)
    finally:
        kill_agents(home)
    assert (result.decrypted, content is not None) == (True, True)


def test_plaintext_over_the_bound_is_refused(w: World) -> None:
    # A compression bomb: tiny ciphertext, large plaintext; gpg stops at --max-output.
    bomb = b"Content-Type: text/plain\r\n\r\n" + b"0" * 2_000_000
    raw = pgp_mime_encrypted(w.encrypt(bomb, "ours"))
    assert len(raw) < 20_000
    result, content = check_pgp(parse_message(raw), w.settings(max_plaintext_bytes=100_000))
    assert (result.status, result.decrypted, content) == ("error", False, None)
    assert "size limit" in (result.detail or "")
