"""PGP status for people (CLI, UI): what was signed, by whom, and what the desk must not trust.

``lines()`` turns a PgpResult into short lines (a stored result is rebuilt by
``pgp.stored.from_stored``, so stored and fresh results read alike). Warnings come first
and start with ``WARNING:``, so a handler cannot miss them.
"""

from __future__ import annotations

from abusebox.core.models import PgpResult


def _signer(fingerprint: str | None, user_ids: list[str]) -> str:
    who = user_ids[0] if user_ids else "a key we do not hold"
    return f"{who} ({fingerprint})" if fingerprint else who


def headline(pgp: PgpResult) -> str:
    """One line: the status and what it means for this message."""
    text: str = "none (not signed)" if pgp.status == "none" else pgp.status
    if pgp.verified:
        text += ": signed by the sender, whole message"
    elif pgp.status == "valid" and pgp.partially_signed:
        text += ": PARTIALLY SIGNED"
    if pgp.encrypted:
        text += ", decrypted" if pgp.decrypted else ", encrypted (not decrypted)"
    return text


def lines(pgp: PgpResult) -> list[str]:
    """The PGP facts a handler needs, warnings first."""
    out: list[str] = []
    good_but_other = any(s.status == "valid" and s.signer_matches_from is False for s in pgp.signatures)
    if pgp.signer_matches_from is False or good_but_other:
        out.append("WARNING: the signer is not the From address: do not trust the sender's identity")
    if pgp.partially_signed:
        out.append(
            f"WARNING: partially signed: {len(pgp.unsigned_text)} piece(s) of text or parts"
            " are not covered by the signature"
        )
        out += [f"  unsigned: {_clip(text)}" for text in pgp.unsigned_text[:5]]
    if pgp.status != "none" or pgp.signatures:
        out.append(f"signer: {_signer(pgp.fingerprint, pgp.user_ids)}")
        matches = {True: "yes", False: "no", None: "-"}[pgp.signer_matches_from]
        out.append(f"signer matches From: {matches}")
    if pgp.trusted_reporter:
        out.append(f"trusted reporter: {pgp.trusted_reporter} (key bound with `abusebox keys trust`)")
    if len(pgp.signatures) > 1:
        out += [f"  signature: {s.status} {_signer(s.fingerprint, s.user_ids)}" for s in pgp.signatures]
    for fwd in pgp.forwarded:
        text = f"forwarded message: {fwd.status}"
        if fwd.status != "none":
            text += f", signed by {_signer(fwd.fingerprint, fwd.user_ids)}"
            text += ", matches its From" if fwd.signer_matches_from else ""
        if fwd.trusted_reporter:
            text += f", trusted reporter {fwd.trusted_reporter}"
        if fwd.partially_signed:
            text += ", partially signed"
        out.append(text + " (says nothing about who sent this message)")
    if pgp.detail:
        out.append(f"detail: {_clip(pgp.detail, 300)}")
    return out


def _clip(text: str, width: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."
