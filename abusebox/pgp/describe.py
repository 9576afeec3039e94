"""PGP status for people (CLI, UI): what was signed, by whom, and what the desk must not trust.

``lines()`` turns a PgpResult into short lines; ``from_stored()`` rebuilds a PgpResult from
the report row's columns and its ``pgp_detail`` JSON, so stored and fresh results read alike.
Warnings come first and start with ``WARNING:``, so a handler cannot miss them.
"""

from __future__ import annotations

from typing import Any, get_args

from abusebox.core.models import PgpResult, PgpSignature, PgpStatus

_STATUSES: tuple[str, ...] = get_args(PgpStatus)


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


def _status(value: Any) -> PgpStatus:
    return value if value in _STATUSES else "error"  # type: ignore[no-any-return]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _opt_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _opt_str(value: Any) -> str | None:
    return str(value) if value is not None else None


def from_stored(
    status: str, fingerprint: str | None, matches: bool | None, encrypted: bool, detail: dict[str, Any] | None
) -> PgpResult:
    """A PgpResult from a report row (older rows may lack keys: missing means unknown/none)."""
    info = detail if isinstance(detail, dict) else {}
    sigs = [
        PgpSignature(
            status=_status(s.get("status")),
            fingerprint=_opt_str(s.get("fingerprint")),
            user_ids=_strings(s.get("user_ids")),
            signer_matches_from=_opt_bool(s.get("signer_matches_from")),
            detail=_opt_str(s.get("detail")),
        )
        for s in info.get("signatures") or []
        if isinstance(s, dict)
    ]
    forwarded = [
        from_stored(
            str(f.get("status")),
            _opt_str(f.get("fingerprint")),
            _opt_bool(f.get("signer_matches_from")),
            bool(f.get("encrypted")),
            f,
        )
        for f in info.get("forwarded") or []
        if isinstance(f, dict)
    ]
    return PgpResult(
        status=_status(status),
        fingerprint=fingerprint,
        signer_matches_from=matches,
        encrypted=bool(encrypted),
        decrypted=bool(info.get("decrypted")),
        partially_signed=bool(info.get("partially_signed")),
        user_ids=_strings(info.get("user_ids")),
        signatures=sigs,
        unsigned_text=_strings(info.get("unsigned_text")),
        detail=_opt_str(info.get("detail")),
        trusted_reporter=_opt_str(info.get("trusted_reporter")),
        forwarded=forwarded,
    )


def stored_detail(pgp: PgpResult) -> dict[str, Any]:
    """The ``pgp_detail`` JSON of a report row (everything beyond the four contract fields)."""
    return {
        "decrypted": pgp.decrypted,
        "partially_signed": pgp.partially_signed,
        "user_ids": pgp.user_ids,
        "trusted_reporter": pgp.trusted_reporter,
        "detail": pgp.detail,
        "unsigned_text": pgp.unsigned_text[:10],
        "signatures": [
            {
                "status": s.status,
                "fingerprint": s.fingerprint,
                "user_ids": s.user_ids,
                "signer_matches_from": s.signer_matches_from,
                "detail": s.detail,
            }
            for s in pgp.signatures
        ],
        "forwarded": [{**stored_detail(f), **f.contract()} for f in pgp.forwarded],
    }
