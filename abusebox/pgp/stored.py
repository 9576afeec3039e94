"""A PgpResult to and from a report row: the four contract columns plus the ``pgp_detail`` JSON.

``stored_detail`` is what the store writes; ``from_stored`` rebuilds the PgpResult from
what it reads (older rows may lack keys), so stored and fresh results read alike.
"""

from __future__ import annotations

from typing import Any, get_args

from abusebox.core.models import PgpResult, PgpSignature, PgpStatus

_STATUSES: tuple[str, ...] = get_args(PgpStatus)


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
