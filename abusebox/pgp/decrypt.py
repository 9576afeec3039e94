"""Decrypt an OpenPGP message sent to our key, refusing anything without integrity protection.

gpg writes plaintext to stdout *before* it finds out that the message had no MDC (or a
bad one) and fails, so the plaintext is only used when the status lines say all of:
DECRYPTION_OKAY, no DECRYPTION_FAILED, and integrity (GOODMDC, or an AEAD mode). This is
what defeats EFAIL-style malleability attacks on CFB ciphertext.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from abusebox.core.models import PgpSignature
from abusebox.pgp.gpg import GpgCall, Keyring
from abusebox.pgp.verify import signatures_from


@dataclass
class Decryption:
    """Outcome of one ``gpg --decrypt`` over an armored or PGP/MIME message."""

    encrypted: bool
    plaintext: bytes | None  # None unless decryption succeeded with integrity protection
    detail: str | None
    recipients: list[str] = field(default_factory=list)  # key ids the message is encrypted to
    signatures: list[PgpSignature] = field(default_factory=list)  # signed-and-encrypted (RFC 3156 6.2)


def _integrity_protected(call: GpgCall) -> bool:
    for value in call.values("DECRYPTION_INFO"):
        parts = value.split()
        mdc_method = parts[0] if parts else "0"
        aead_algo = parts[2] if len(parts) > 2 else "0"
        if aead_algo != "0":
            return True
        if mdc_method != "0" and call.has("GOODMDC"):
            return True
    return False


def decrypt(keyring: Keyring, data: bytes, passphrase: str | None, max_output: int) -> Decryption:
    """Decrypt (or unwrap a signed-only) OpenPGP message; never raises for gpg failures."""
    args = ["--decrypt"]
    if passphrase is None:
        # Never let gpg-agent try to open a pinentry from a worker: fail fast instead.
        args = ["--pinentry-mode", "loopback", *args]
    call = keyring.run(args, data, passphrase=passphrase, max_output=max_output)
    recipients = [v.split()[0] for v in call.values("ENC_TO") if v.split()]
    encrypted = bool(recipients) or call.has("BEGIN_DECRYPTION") or call.has("NEED_PASSPHRASE_SYM")
    signatures = signatures_from(call, keyring, detached=False)
    if call.timed_out or call.truncated:
        return Decryption(encrypted, None, call.describe_failure(), recipients)
    if not encrypted:
        if (call.has("PLAINTEXT") and call.ok) or signatures:
            return Decryption(False, call.data, None, recipients, signatures)
        return Decryption(False, None, f"not an OpenPGP message gpg could read: {call.describe_failure()}")
    if call.has("NEED_PASSPHRASE_SYM") and not recipients:
        return Decryption(
            True, None, "symmetrically encrypted (passphrase only): not for our key", recipients
        )
    missing = {v.split()[0] for v in call.values("NO_SECKEY") if v.split()}
    if recipients and set(recipients) <= missing:
        listed = ", ".join(recipients)
        return Decryption(True, None, f"not encrypted to our key (recipients: {listed})", recipients)
    if call.has("DECRYPTION_FAILED") or not call.has("DECRYPTION_OKAY"):
        if any(v.startswith("nomdc") for v in call.values("ERROR")) or (
            call.has("DECRYPTION_INFO") and not _integrity_protected(call)
        ):
            return Decryption(
                True, None, "refused: ciphertext has no integrity protection (no MDC/AEAD)", recipients
            )
        return Decryption(True, None, f"decryption failed: {call.describe_failure()}", recipients)
    if not _integrity_protected(call):
        return Decryption(
            True, None, "refused: ciphertext has no integrity protection (no MDC/AEAD)", recipients
        )
    return Decryption(True, call.data, None, recipients, signatures)
