"""Forwarded signed notices, decryption in place, and clear-signed text gpg reads differently."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pgp_support import (
    REPORT,
    World,
    headers,
    message,
    multipart,
    part_bytes,
    pgp_mime_signed,
    text_part,
)

from abusebox.core.config import Settings
from abusebox.core.models import PgpResult
from abusebox.parsing.mime import parse_message
from abusebox.pgp import check_pgp
from abusebox.pgp.trust import add_binding
from abusebox.pipeline.analyze import analyze

FORWARDER = "customer@example.org"
COVER = "FYI: JPCERT/CC sent us the notice below, please handle it.\n"


def signed_notice(w: World, who: str = "alice", from_: str = "alice@reporter.example") -> bytes:
    """A complete PGP/MIME signed message, as it would be attached to a forward."""
    signed = part_bytes(text_part(REPORT))
    signature = w.detach_sign(who, signed).replace(b"\n", b"\r\n")  # CRLF: it may be signed again
    return headers(from_, "JPCERT notice") + pgp_mime_signed(signed, signature)


def forward(notice: bytes, cover: str = COVER, boundary: str = "fwd-b0undary") -> bytes:
    """The inner multipart/mixed entity: a cover note and the notice as message/rfc822."""
    attached = b"Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n" + notice
    head, body = multipart("multipart/mixed", [part_bytes(text_part(cover)), attached], boundary)
    return head + b"\r\n" + body


def check(raw: bytes, w: World, home_settings: object = None) -> PgpResult:
    result, _ = check_pgp(parse_message(raw), home_settings or w.settings())  # type: ignore[arg-type]
    return result


def test_forwarded_signed_notice_is_verified_against_its_own_from(w: World) -> None:
    result = check(message(forward(signed_notice(w)), FORWARDER), w)
    # The forwarder did not sign: the outer message stays unsigned.
    assert result.contract() == {
        "status": "none",
        "fingerprint": None,
        "signer_matches_from": None,
        "encrypted": False,
    }
    assert not result.verified and result.trusted_reporter is None
    [fwd] = result.forwarded
    assert (fwd.status, fwd.fingerprint, fwd.signer_matches_from) == ("valid", w.fpr["alice"], True)
    assert fwd.verified
    assert "forwarded message" in (fwd.detail or "")


def test_forwarded_inline_clearsigned_notice(w: World) -> None:
    block = w.clearsign("alice", REPORT.encode()).decode()
    notice = headers("alice@reporter.example", "notice") + part_bytes(text_part(block))
    [fwd] = check(message(forward(notice), FORWARDER), w).forwarded
    assert (fwd.status, fwd.signer_matches_from) == ("valid", True)


def test_tampered_or_misattributed_forwarded_notice_is_not_valid(w: World) -> None:
    tampered = signed_notice(w).replace(b"203.0.113.9 against", b"198.51.100.1 against")
    [fwd] = check(message(forward(tampered), FORWARDER), w).forwarded
    assert fwd.status == "invalid"
    # Mallory signs a notice that claims to come from Alice.
    [fwd] = check(message(forward(signed_notice(w, who="mallory")), FORWARDER), w).forwarded
    assert (fwd.status, fwd.signer_matches_from) == ("invalid", False)


def test_forwarded_signature_never_validates_the_outer_message(w: World) -> None:
    # Alice signs her own cover note and forwards Mallory's signed notice inside it.
    inner = forward(signed_notice(w, who="mallory", from_="mallory@elsewhere.example"))
    outer = message(pgp_mime_signed(inner, w.detach_sign("alice", inner), boundary="outer-sig"))
    result = check(outer, w)
    assert (result.status, result.fingerprint, result.partially_signed) == ("valid", w.fpr["alice"], False)
    [fwd] = result.forwarded
    assert (fwd.status, fwd.fingerprint) == ("valid", w.fpr["mallory"])
    # And the reverse: a forwarder with a mismatching key stays invalid whatever it forwards.
    assert check(message(forward(signed_notice(w)), "alice@reporter.example"), w).status == "none"


def test_forwarded_notice_by_a_trusted_reporter_feeds_triage_weakly(
    w: World, keyring: Callable[..., Path]
) -> None:
    home = keyring("alice")
    add_binding(home, w.fpr["alice"], "reporter.example")
    analysis = analyze(message(forward(signed_notice(w)), FORWARDER), Settings(pgp=w.settings(home)))
    assert analysis.pgp.status == "none"
    assert analysis.pgp.forwarded[0].trusted_reporter == "@reporter.example"
    reasons = " | ".join(map(str, analysis.triage.reasons))
    assert "forwards a message signed by trusted reporter @reporter.example" in reasons
    assert "signed by trusted reporter" not in reasons.replace("message signed by trusted", "")


def test_text_around_an_inline_encrypted_block_reaches_extraction(w: World) -> None:
    armored = w.encrypt(REPORT.encode(), "ours").decode()
    text = "Also scanning us: 192.0.2.77\n\n" + armored + "\nand 192.0.2.78 since yesterday\n"
    raw = message(part_bytes(text_part(text)))
    result, content = check_pgp(parse_message(raw), w.settings())
    assert (result.status, result.decrypted) == ("none", True)
    assert content is not None
    body = content.body_text
    assert "192.0.2.77" in body and "192.0.2.78" in body and "Failed password for root" in body
    assert "BEGIN PGP MESSAGE" not in body
    analysis = analyze(raw, Settings(pgp=w.settings()))
    assert {o.ip for o in analysis.extraction.observations} >= {"203.0.113.9", "192.0.2.77", "192.0.2.78"}


def test_every_encrypted_part_is_decrypted_and_the_rest_kept(w: World) -> None:
    first = part_bytes(text_part(w.encrypt(REPORT.encode(), "ours").decode()))
    second_plain = part_bytes(text_part("Second report: 198.51.100.23 scanned port 445.\n"))
    control = b"Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
    data = b"Content-Type: application/octet-stream\r\n\r\n" + w.encrypt(second_plain, "ours")
    head, body = multipart(
        'multipart/encrypted; protocol="application/pgp-encrypted"', [control, data], "enc-b0undary"
    )
    csv = b"Content-Type: text/csv; name=list.csv\r\n\r\nip\r\n192.0.2.200\r\n"
    outer_head, outer_body = multipart("multipart/mixed", [first, head + b"\r\n" + body, csv], "mix-b0undary")
    raw = message(outer_head + b"\r\n" + outer_body)
    result, content = check_pgp(parse_message(raw), w.settings())
    assert (result.status, result.encrypted, result.decrypted) == ("none", True, True)
    assert content is not None
    assert content.from_addr == "alice@reporter.example"
    text = content.body_text + "".join(a.payload.decode() for a in content.attachments)
    text += "".join(tp.text for tp in content.text_parts)
    assert "203.0.113.9" in text and "198.51.100.23" in text and "192.0.2.200" in text


def test_one_part_for_us_one_for_another_key(w: World) -> None:
    ours = part_bytes(text_part(w.encrypt(REPORT.encode(), "ours").decode()))
    theirs = part_bytes(text_part(w.encrypt(b"secret 198.51.100.99\n", "other").decode()))
    head, body = multipart("multipart/mixed", [ours, theirs], "two-b0undary")
    result, content = check_pgp(parse_message(message(head + b"\r\n" + body)), w.settings())
    assert content is not None and "203.0.113.9" in content.body_text
    assert "198.51.100.99" not in content.body_text
    assert (result.status, result.decrypted) == ("error", True)
    assert "not encrypted to our key" in (result.detail or "")


def test_clearsigned_text_gpg_reads_differently_is_unsigned(w: World) -> None:
    # "NotDashEscaped": gpg verifies "- Block ..." literally; a reader sees "Block ..." (the
    # dash-escape removed). What gpg checked is not what is shown: not a valid signed text.
    text = b"Dear abuse team,\n- Block 192.0.2.66 now.\nThanks\n"
    sig = w.detach_sign("alice", text, "--textmode").replace(b"ARMORED FILE", b"SIGNATURE")
    block = b"-----BEGIN PGP SIGNED MESSAGE-----\nNotDashEscaped: x\nHash: SHA256\n\n" + text + sig
    result = check(message(part_bytes(text_part(block.decode()))), w)
    assert result.signatures and result.signatures[0].status == "valid"  # gpg: good signature
    assert result.partially_signed and not result.verified
    assert "differs from the displayed" in (result.detail or "")
    assert result.unsigned_text == ["Dear abuse team,\nBlock 192.0.2.66 now.\nThanks"]
