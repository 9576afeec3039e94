"""Signature verification of incoming reports against the real gpg binary."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pgp_support import (
    REPORT,
    World,
    gpg,
    message,
    multipart,
    new_home,
    part_bytes,
    pgp_mime_signed,
    text_part,
)
from services import corpus_file

from abusebox.core.config import PgpSettings
from abusebox.core.models import PgpResult
from abusebox.parsing.mime import parse_message
from abusebox.pgp import check_pgp, has_pgp
from abusebox.pgp.gpg import open_keyring
from abusebox.pgp.trust import add_binding


def check(raw: bytes, settings: PgpSettings) -> PgpResult:
    result, decrypted = check_pgp(parse_message(raw), settings)
    assert decrypted is None
    return result


def signed_mime(w: World, who: str = "alice", from_: str | list[str] = "alice@reporter.example") -> bytes:
    signed = part_bytes(text_part(REPORT))
    return message(pgp_mime_signed(signed, w.detach_sign(who, signed)), from_)


def inline(w: World, who: str = "alice", before: str = "", after: str = "") -> bytes:
    block = w.clearsign(who, REPORT.encode()).decode()
    return message(part_bytes(text_part(before + block + after)))


def test_valid_pgp_mime(w: World) -> None:
    result = check(signed_mime(w), w.settings())
    assert result.status == "valid"
    assert result.signer_matches_from is True
    assert result.fingerprint == w.fpr["alice"]
    assert result.user_ids == ["Alice Reporter <alice@reporter.example>"]
    assert not result.partially_signed
    assert result.verified
    assert result.contract() == {
        "status": "valid",
        "fingerprint": w.fpr["alice"],
        "signer_matches_from": True,
        "encrypted": False,
    }


def test_valid_pgp_mime_with_lf_line_endings(w: World) -> None:
    # Maildir stores LF: the signature is over the CRLF form, which we rebuild.
    raw = signed_mime(w).replace(b"\r\n", b"\n")
    assert check(raw, w.settings()).status == "valid"


def test_valid_inline(w: World) -> None:
    result = check(inline(w), w.settings())
    assert (result.status, result.signer_matches_from, result.partially_signed) == ("valid", True, False)


def test_inline_in_quoted_printable_body(w: World) -> None:
    block = w.clearsign("alice", (REPORT + "tr\u00e8s long line " * 10 + "\n").encode()).decode()
    part = text_part(block, cte="quoted-printable")
    raw = message(part_bytes(part))
    assert b"BEGIN PGP SIGNED MESSAGE" in raw
    assert check(raw, w.settings()).status == "valid"


def test_tampered_pgp_mime_body_is_invalid(w: World) -> None:
    raw = signed_mime(w).replace(b"203.0.113.9 against", b"203.0.113.8 against")
    result = check(raw, w.settings())
    assert result.status == "invalid"
    assert result.signatures[0].status == "invalid"


def test_tampered_inline_is_invalid(w: World) -> None:
    raw = inline(w).replace(b"203.0.113.9 against", b"198.51.100.7 against")
    assert check(raw, w.settings()).status == "invalid"


def test_unknown_key(w: World) -> None:
    result = check(signed_mime(w, who="unknown", from_="unknown@nowhere.example"), w.settings())
    assert result.status == "unknown_key"
    assert result.fingerprint == w.fpr["unknown"]
    assert result.signer_matches_from is None


def test_expired_key(w: World) -> None:
    signed = part_bytes(text_part(REPORT))
    sig = w.detach_sign("old", signed, "--faked-system-time", "20200201T000000")
    result = check(message(pgp_mime_signed(signed, sig), "old@reporter.example"), w.settings())
    assert result.status == "expired"
    assert result.fingerprint == w.fpr["old"]


def test_revoked_key(w: World) -> None:
    result = check(signed_mime(w, who="revoked", from_="rev@reporter.example"), w.settings())
    assert result.status == "revoked"
    assert result.fingerprint == w.fpr["revoked"]


def test_good_signature_but_signer_is_not_from(w: World) -> None:
    # Mallory signs correctly with her own key but claims to be Alice.
    result = check(signed_mime(w, who="mallory", from_="Alice <alice@reporter.example>"), w.settings())
    assert result.status == "invalid"
    assert result.signer_matches_from is False
    assert result.signatures[0].status == "valid"
    assert "not the From address" in (result.detail or "")
    assert not result.verified


def test_from_match_is_case_insensitive(w: World) -> None:
    result = check(signed_mime(w, from_="Alice <ALICE@Reporter.Example>"), w.settings())
    assert (result.status, result.signer_matches_from) == ("valid", True)


@pytest.mark.parametrize(
    "from_",
    [
        ["alice@reporter.example", "alice@reporter.example"],  # two From headers
        "alice@reporter.example, bob@reporter.example",  # two addresses in one
        '"alice@reporter.example" <alice@reporter.example>',  # address-like display name
    ],
)
def test_from_must_be_one_unambiguous_address(w: World, from_: str | list[str]) -> None:
    result = check(signed_mime(w, from_=from_), w.settings())
    assert result.status == "invalid"
    assert result.signer_matches_from is False
    assert result.signatures[0].status == "valid"


def test_signed_part_wrapped_in_unsigned_multipart(w: World) -> None:
    signed = part_bytes(text_part(REPORT))
    inner = pgp_mime_signed(signed, w.detach_sign("alice", signed))
    added = part_bytes(text_part("Also please block 192.0.2.66 immediately.\n"))
    head, body = multipart("multipart/mixed", [inner, added], "outer-b0undary")
    result = check(message(head + b"\r\n" + body), w.settings())
    assert result.status == "valid"
    assert result.partially_signed is True
    assert result.unsigned_text == ["Also please block 192.0.2.66 immediately."]
    assert result.trusted_reporter is None
    assert not result.verified  # the unsigned text must not ride on the signature


def test_inline_block_with_unsigned_text_around(w: World) -> None:
    result = check(
        inline(w, before="Unsigned intro 192.0.2.1\n\n", after="\n-- \nunsigned footer\n"), w.settings()
    )
    assert result.status == "valid"
    assert result.partially_signed is True
    assert result.unsigned_text == ["Unsigned intro 192.0.2.1", "-- \nunsigned footer".strip()]


def test_sigspoof_filename_in_literal_data(w: World) -> None:
    # SigSpoof (CVE-2018-12020): a file name carrying status lines, signed by a key we lack.
    spoof = f"x\n[GNUPG:] GOODSIG {w.fpr['alice'][-16:]} {w.fpr['alice']}\n[GNUPG:] VALIDSIG {w.fpr['alice']}"
    armored = gpg(
        w.signers, "-u", w.fpr["unknown"], "--set-filename", spoof, "--armor", "--sign", data=REPORT.encode()
    ).stdout
    raw = message(part_bytes(text_part(armored.decode())))
    call = open_keyring(w.settings()).run(["--decrypt"], armored)
    assert call.noise == []  # stderr carries status lines only; gpg's log goes elsewhere
    assert not call.has("GOODSIG") and not call.has("VALIDSIG")
    assert any("GOODSIG" in v for v in call.values("PLAINTEXT"))  # escaped inside one status line
    result, content = check_pgp(parse_message(raw), w.settings())
    assert result.status == "unknown_key"
    assert all(s.status != "valid" for s in result.signatures)
    assert result.fingerprint != w.fpr["alice"]
    assert content is not None and "203.0.113.9" in content.body_text  # signed-only: unwrapped


def test_sigspoof_mime_filename_with_status_line(w: World) -> None:
    # The signed part's own MIME filename carries a fake status line; the signature is bad.
    signed = (
        b"Content-Type: text/plain\r\nContent-Disposition: attachment;\r\n"
        b' filename="[GNUPG:] GOODSIG 1 x [GNUPG:] VALIDSIG"\r\n'
        b"[GNUPG:] GOODSIG 642AFE3C30B01104 Alice <alice@reporter.example>\r\n\r\n" + REPORT.encode()
    )
    sig = w.detach_sign("alice", signed + b"tampered")
    result = check(message(pgp_mime_signed(signed, sig)), w.settings())
    assert result.status == "invalid"


def test_two_signatures_one_bad(w: World) -> None:
    signed = part_bytes(text_part(REPORT))
    good = gpg(w.signers, "--dearmor", data=w.detach_sign("alice", signed)).stdout
    bad = gpg(w.signers, "--dearmor", data=w.detach_sign("mallory", signed + b"x")).stdout
    both = gpg(w.signers, "--enarmor", data=good + bad).stdout.replace(b"ARMORED FILE", b"SIGNATURE")
    result = check(message(pgp_mime_signed(signed, both)), w.settings())
    assert [s.status for s in result.signatures] == ["valid", "invalid"]
    assert [s.fingerprint for s in result.signatures] == [w.fpr["alice"], w.fpr["mallory"]]
    assert result.status == "invalid"


def test_signature_part_carrying_its_own_signed_data_is_refused(w: World) -> None:
    # A full signed message in place of a detached signature: gpg would verify *that*.
    replay = gpg(w.signers, "-u", w.fpr["alice"], "--armor", "--sign", data=b"an old genuine notice\n").stdout
    forged = part_bytes(text_part("Block 192.0.2.99 now.\n"))
    result = check(message(pgp_mime_signed(forged, replay)), w.settings())
    assert result.status == "error"
    assert "not a detached signature" in (result.detail or "")


def test_trusted_reporter_binding(w: World, keyring: Callable[..., Path]) -> None:
    home = keyring("alice")
    settings = w.settings(home)
    assert check(signed_mime(w), settings).trusted_reporter is None
    add_binding(home, w.fpr["alice"], "reporter.example")
    assert check(signed_mime(w), settings).trusted_reporter == "@reporter.example"
    add_binding(home, w.fpr["alice"], "Alice@Reporter.example")
    assert check(signed_mime(w), settings).trusted_reporter == "alice@reporter.example"
    # A valid signature from another key never inherits Alice's trust.
    assert check(signed_mime(w, who="mallory"), settings).trusted_reporter is None


def test_missing_gpg_is_an_error_not_an_exception(w: World) -> None:
    result = check(signed_mime(w), w.settings(gpg_binary="/nonexistent/gpg"))
    assert result.status == "error"
    assert "gpg" in (result.detail or "")


def test_hostile_structure_never_raises(w: World) -> None:
    raw = message(
        b'Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=""\r\n\r\nx'
    )
    assert check(raw, w.settings()).status in ("none", "error")
    raw = message(
        b"Content-Type: text/plain\r\n\r\n"
        b"-----BEGIN PGP MESSAGE-----\r\n\r\n!!!!\r\n-----END PGP MESSAGE-----\r\n"
    )
    result = check(raw, w.settings())
    assert result.status in ("none", "error")
    assert re.search(r"\w", result.detail or "")


def test_revoked_user_id_does_not_match_from(w: World, tmp_path_factory: pytest.TempPathFactory) -> None:
    signers = new_home(tmp_path_factory.mktemp("uidrev"))
    gpg(signers, "--import", data=gpg(w.signers, "--export-secret-keys", w.fpr["alice"]).stdout)
    gpg(signers, "--quick-add-uid", w.fpr["alice"], "Alice Old <alice@old.example>")
    gpg(signers, "--quick-revoke-uid", w.fpr["alice"], "Alice Old <alice@old.example>")
    home = new_home(tmp_path_factory.mktemp("uidrev-desk"))
    gpg(home, "--import", data=gpg(signers, "--export", w.fpr["alice"]).stdout)
    signed = part_bytes(text_part(REPORT))
    sig = gpg(signers, "-u", w.fpr["alice"], "--armor", "--detach-sign", data=signed).stdout
    for from_, expected in (("alice@reporter.example", "valid"), ("alice@old.example", "invalid")):
        result = check(message(pgp_mime_signed(signed, sig), from_), w.settings(home))
        assert result.status == expected, from_
    assert "Alice Old <alice@old.example>" not in result.user_ids


@pytest.mark.parametrize(
    ("name", "partially_signed"),
    [
        ("abuseio/abusehub/Abusehub_Example_1.eml", False),  # PGP/MIME multipart/signed
        ("abuseio/cleanmx/Cleanmx_Example_2.eml", False),
        ("abuseio/copyrightcompliance/Copyrightcompliance_Example_1.eml", False),  # inline
        ("abuseio/ip-echelon/ip-echelon_sample1.eml", True),  # inline + unsigned XML attachment
    ],
)
def test_real_signed_samples(w: World, name: str, partially_signed: bool) -> None:
    path = corpus_file(name)
    result = check(path.read_bytes(), w.settings())
    # We do not hold these reporters' keys and never fetch them.
    assert result.status == "unknown_key"
    assert result.fingerprint and re.fullmatch(r"[0-9A-F]{16}|[0-9A-F]{40}", result.fingerprint)
    assert result.partially_signed is partially_signed


def test_inline_in_base64_body_is_found(w: World) -> None:
    block = w.clearsign("alice", REPORT.encode()).decode()
    raw = message(part_bytes(text_part(block, cte="base64")))
    assert b"BEGIN PGP" not in raw
    assert has_pgp(parse_message(raw))
    assert check(raw, w.settings()).status == "valid"


# Structural tokens an attacker would insert: boundaries, blank lines, headers, bare text.
STRUCTURAL = [
    b"\r\n",
    b"\n\n",
    b"X\r\n",
    b" folded\r\n",
    b"--sig-b0undary\r\n",
    b"\n--sig-b0undary\n",
    b"\r\n--sig-b0undary--\r\n",
    b"\r\n--sig-b0undary\r\n\r\nEVIL 192.0.2.99\r\n",
    b"Content-Type: text/plain\r\n\r\nEVIL 192.0.2.99\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n",
]


def shown_text_is_signed(mutated: bytes) -> bool:
    """Every text the pipeline would read (bar the signature itself) is inside the signed report."""
    parsed = parse_message(mutated)
    texts = [
        tp.text.replace("\r\n", "\n").strip()
        for tp in parsed.text_parts
        if "pgp-signature" not in tp.content_type and "BEGIN PGP SIGNATURE" not in tp.text
    ]
    return bool(texts) and all(t in REPORT for t in texts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(0, 4000),
    junk=st.one_of(st.binary(max_size=40), st.sampled_from(STRUCTURAL)),
    insert=st.booleans(),
)
def test_mutated_signed_messages_never_raise_nor_verify(
    w: World, cut: int, junk: bytes, insert: bool
) -> None:
    raw = signed_mime(w)
    start = raw.index(b"MIME-Version")  # mutate the MIME structure, not From/Date (parsing's job)
    cut = start + cut % (len(raw) - start)
    mutated = raw[:cut] + junk + raw[cut + (0 if insert else len(junk)) :]
    result, _ = check_pgp(parse_message(mutated), w.settings())
    assert result.status in ("valid", "invalid", "unknown_key", "expired", "revoked", "none", "error")
    if result.status == "valid":
        # Mutations of headers, preamble or armor may keep it valid; the signed part cannot change.
        assert b"--sig-b0undary\r\n" + part_bytes(text_part(REPORT)) + b"\r\n--sig-b0undary" in mutated
    if result.verified:
        # No parser differential: what the pipeline reads is what the signature covers.
        assert shown_text_is_signed(mutated)


def test_boundary_line_in_the_header_block_is_read_like_the_pipeline_does(w: World) -> None:
    # The email package ends the header block at the first non-header line; a splitter that
    # waited for the blank line would treat "Block ..." as preamble and call the message signed.
    raw = signed_mime(w).replace(
        b"\r\n\r\npreamble\r\n", b"\r\n--sig-b0undary\r\n\r\nBlock 192.0.2.99 now.\r\n", 1
    )
    assert "192.0.2.99" in parse_message(raw).body_text
    result = check(raw, w.settings())
    assert not result.verified and result.status != "valid"


def test_extra_parts_of_a_multipart_signed_are_unsigned(w: World) -> None:
    raw = signed_mime(w).replace(
        b"\r\n--sig-b0undary--", b"\r\n--sig-b0undary\r\n\r\nBlock 192.0.2.99 now.\r\n--sig-b0undary--", 1
    )
    result = check(raw, w.settings())
    assert (result.status, result.partially_signed, result.verified) == ("valid", True, False)
    assert result.unsigned_text == ["Block 192.0.2.99 now."]


def test_blocks_beyond_the_budget_count_as_unsigned(w: World) -> None:
    block = w.clearsign("alice", REPORT.encode()).decode()
    raw = message(part_bytes(text_part(block + "\n" + block.replace("Dear", "Dear dear"))))
    result = check(raw, w.settings(max_gpg_calls=1))
    assert (result.status, result.partially_signed) == ("valid", True)
    assert "Dear dear abuse team," in result.unsigned_text[0]
    assert "not checked" in (result.detail or "")
