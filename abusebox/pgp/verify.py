"""Signature verification: run gpg, read its status lines, report each signature.

Per signature (status lines between two NEWSIG):

=========== ===========================================================
valid       GOODSIG + VALIDSIG: the data is what the key signed, key usable
invalid     BADSIG: the data was changed (or the signature was made over other data)
expired     EXPKEYSIG (key expired) or EXPSIG (signature expired)
revoked     REVKEYSIG: the key is revoked
unknown_key ERRSIG with code 9 / NO_PUBKEY: we do not hold the key (never fetched)
error       anything else (unknown algorithm, malformed packet, inconsistent statuses)
=========== ===========================================================

Here "valid" is only the cryptographic verdict; whether the signer is the From address
is decided in :mod:`abusebox.pgp.result`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from abusebox.core.models import PgpSignature, PgpStatus
from abusebox.pgp.gpg import GpgCall, Keyring
from abusebox.pgp.keys import KeyInfo, list_keys

_ERRSIG_NO_PUBKEY = "9"
_SIG_RESULTS = ("GOODSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG", "BADSIG", "ERRSIG")
_DETACHED_SIG_CLASSES = ("00", "01")  # binary or canonical-text document signatures


@dataclass
class _SigState:
    result: str | None = None
    key_id: str | None = None
    fingerprint: str | None = None  # primary key fingerprint when known
    signing_fpr: str | None = None  # the (sub)key that made the signature
    sig_class: str | None = None
    errsig_code: str | None = None
    problems: list[str] = field(default_factory=list)


def _parse_signatures(call: GpgCall) -> list[_SigState]:
    """Group the status lines of one gpg run into one record per signature."""
    sigs: list[_SigState] = []
    current: _SigState | None = None
    for key, value in call.statuses:
        if key == "NEWSIG":
            current = _SigState()
            sigs.append(current)
            continue
        if key not in (*_SIG_RESULTS, "VALIDSIG", "NO_PUBKEY", "KEYEXPIRED", "KEYREVOKED"):
            continue
        if current is None or (key in _SIG_RESULTS and current.result is not None):
            current = _SigState()  # gpg without NEWSIG, or a second result line: a new signature
            sigs.append(current)
        parts = value.split()
        if key in _SIG_RESULTS:
            current.result = key
            current.key_id = parts[0] if parts else None
            if key == "ERRSIG":
                current.errsig_code = parts[5] if len(parts) > 5 else None
                current.fingerprint = parts[6] if len(parts) > 6 and parts[6] != "-" else None
        elif key == "VALIDSIG" and parts:
            current.signing_fpr = parts[0]
            current.sig_class = parts[8] if len(parts) > 8 else None
            current.fingerprint = parts[9] if len(parts) > 9 else parts[0]
        elif key == "NO_PUBKEY":
            current.problems.append("no public key")
        elif key in ("KEYEXPIRED", "KEYREVOKED"):
            current.problems.append(key.lower())
    return sigs


def _status_of(sig: _SigState, detached: bool) -> tuple[PgpStatus, str | None]:
    if sig.result == "GOODSIG":
        if not sig.fingerprint:
            return "error", "good signature without VALIDSIG"
        if detached and sig.sig_class not in _DETACHED_SIG_CLASSES:
            return "invalid", f"signature class {sig.sig_class} is not a document signature"
        return "valid", None
    if sig.result == "EXPKEYSIG":
        return "expired", "signing key has expired"
    if sig.result == "EXPSIG":
        return "expired", "signature has expired"
    if sig.result == "REVKEYSIG":
        return "revoked", "signing key is revoked"
    if sig.result == "BADSIG":
        return "invalid", "bad signature: the signed data was altered"
    if sig.result == "ERRSIG":
        if sig.errsig_code == _ERRSIG_NO_PUBKEY or "no public key" in sig.problems:
            return "unknown_key", "no public key for this signature in our keyring"
        return "error", f"signature could not be checked (gpg code {sig.errsig_code})"
    return "error", "no signature result from gpg"


def signatures_from(call: GpgCall, keyring: Keyring, detached: bool) -> list[PgpSignature]:
    """PgpSignature per signature in ``call``, with user IDs from our keyring."""
    states = _parse_signatures(call)
    # Look the signers up in one listing: by fingerprint, or by key id for a bad signature.
    wanted = {s.fingerprint or s.key_id for s in states if s.result != "ERRSIG"} - {None}
    keys: dict[str, KeyInfo] = {}
    if wanted:
        for key in list_keys(keyring, sorted(w for w in wanted if w)):
            for fpr in (key.fingerprint, *key.subkey_fingerprints):
                keys[fpr] = keys[fpr[-16:]] = key
    out: list[PgpSignature] = []
    for state in states:
        status, detail = _status_of(state, detached)
        held = keys.get(state.fingerprint or state.key_id or "")
        fingerprint = held.fingerprint if held else state.fingerprint or state.key_id
        user_ids = [u.text for u in held.user_ids if u.usable or status != "valid"] if held else []
        out.append(PgpSignature(status=status, fingerprint=fingerprint, user_ids=user_ids, detail=detail))
    if detached and call.has("PLAINTEXT"):
        # The "signature" part carried its own signed data: gpg verified that, not our part.
        for sig in out:
            sig.status, sig.detail = (
                "invalid",
                "signature part contains signed data, not a detached signature",
            )
    return out


def _unchecked(call: GpgCall) -> PgpSignature:
    """A signature part that gpg could not read as any signature at all."""
    return PgpSignature(status="error", detail=f"no signature could be checked: {call.describe_failure()}")


def verify_detached(keyring: Keyring, signed: bytes, signature: bytes) -> tuple[list[PgpSignature], GpgCall]:
    """Verify a detached signature over ``signed`` (already in canonical CRLF form)."""
    with tempfile.TemporaryDirectory(prefix="abusebox-sig-") as tmp:
        sig_path = Path(tmp) / "signature.asc"
        sig_path.write_bytes(signature)
        call = keyring.run(["--verify", "--", str(sig_path), "-"], signed)
    return signatures_from(call, keyring, detached=True) or [_unchecked(call)], call


def verify_clearsigned(
    keyring: Keyring, block: bytes, max_output: int
) -> tuple[list[PgpSignature], bytes | None, GpgCall]:
    """Verify an inline clear-signed block; also return the text gpg says was signed.

    ``--decrypt`` on a clear-signed block writes the verified text, so the caller can
    compare it with what a reader sees instead of trusting our own reading of the armor.
    """
    call = keyring.run(["--decrypt"], block, max_output=max_output)
    if call.truncated or call.timed_out:
        return [PgpSignature(status="error", detail=call.describe_failure())], None, call
    if call.has("BEGIN_DECRYPTION"):
        sig = PgpSignature(status="error", detail="clear-signed block contained encrypted data")
        return [sig], None, call
    return signatures_from(call, keyring, detached=False) or [_unchecked(call)], call.data, call
