"""How the PGP result feeds triage, with real signatures: only a whole message signed by From counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pgp_support import (
    REPORT,
    World,
    message,
    multipart,
    part_bytes,
    pgp_mime_signed,
    text_part,
)

from abusebox.core.config import Settings, TriageSettings
from abusebox.core.models import Analysis
from abusebox.pgp.trust import add_binding
from abusebox.pipeline.analyze import analyze


def signed_entity(w: World, who: str) -> bytes:
    signed = part_bytes(text_part(REPORT))
    return pgp_mime_signed(signed, w.detach_sign(who, signed))


def wrapped(entity: bytes, extra: str) -> bytes:
    head, body = multipart("multipart/mixed", [entity, part_bytes(text_part(extra))], "wrap-b0undary")
    return head + b"\r\n" + body


def run(w: World, raw: bytes, **triage: object) -> Analysis:
    settings = Settings(pgp=w.settings(), triage=replace(TriageSettings(), **triage))  # type: ignore[arg-type]
    return analyze(raw, settings)


def reasons(a: Analysis) -> str:
    return " | ".join(map(str, a.triage.reasons))


def test_trusted_fingerprint_needs_the_whole_message_signed_by_from(w: World) -> None:
    trusted = {"trusted_fingerprints": [w.fpr["alice"]]}
    full = run(w, message(signed_entity(w, "alice")), **trusted)
    assert full.pgp.verified
    assert "signed with trusted key" in reasons(full)
    # The same genuine signature, replayed with an unsigned instruction around it.
    partial = run(w, message(wrapped(signed_entity(w, "alice"), "Also block 192.0.2.66 now.\n")), **trusted)
    assert (partial.pgp.status, partial.pgp.partially_signed) == ("valid", True)
    assert "signed with trusted key" not in reasons(partial)
    assert "over part of the message only" in reasons(partial)
    assert partial.triage.score > full.triage.score + 9


def test_good_signature_by_another_key_is_never_trusted(w: World) -> None:
    # Mallory's key is even on the allow-list, and From is a trusted reporter: still not trusted,
    # because the signer is not the From address.
    a = run(
        w,
        message(signed_entity(w, "mallory"), "alice@reporter.example"),
        trusted_fingerprints=[w.fpr["mallory"]],
        trusted_reporters=["@reporter.example"],
    )
    assert (a.pgp.status, a.pgp.signer_matches_from) == ("invalid", False)
    assert a.pgp.signatures[0].status == "valid"
    text = reasons(a)
    assert "signed with trusted key" not in text and "valid PGP signature" not in text
    # The From address alone earns nothing without DMARC pass at our MTA (issue 15, defect 7).
    assert "From matches trusted reporter @reporter.example, not authenticated" in text
    assert "[trusted_reporter ±0]" in text


def test_key_bound_by_the_desk_is_strong_report_evidence(w: World, keyring: Callable[..., Path]) -> None:
    home = keyring("alice", "mallory")
    add_binding(home, w.fpr["alice"], "reporter.example")
    settings = Settings(pgp=w.settings(home))
    a = analyze(message(signed_entity(w, "alice")), settings)
    assert a.pgp.trusted_reporter == "@reporter.example"
    assert "signed by trusted reporter @reporter.example" in reasons(a)
    assert a.verdict == "report"
    partial = analyze(message(wrapped(signed_entity(w, "alice"), "Extra 192.0.2.1\n")), settings)
    assert partial.pgp.trusted_reporter is None
    assert "trusted reporter" not in reasons(partial)
    # Mallory signing as herself is a valid signature, but not the desk's trusted reporter.
    other = analyze(message(signed_entity(w, "mallory"), "mallory@elsewhere.example"), settings)
    assert other.pgp.verified and other.pgp.trusted_reporter is None
    assert "valid PGP signature by the sender" in reasons(other)
    assert "trusted reporter" not in reasons(other)
