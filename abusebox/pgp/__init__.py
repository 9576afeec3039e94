"""PGP verification and decryption of incoming reports (python-gnupg + the gpg binary)."""

from __future__ import annotations

from abusebox.config import PgpSettings
from abusebox.models import ParsedMessage, PgpResult

_MARKERS = (b"-----BEGIN PGP SIGNED MESSAGE-----", b"-----BEGIN PGP MESSAGE-----")


def has_pgp(parsed: ParsedMessage) -> bool:
    ctype = parsed.content_type
    if ctype in ("multipart/signed", "multipart/encrypted"):
        return True
    return any(marker in parsed.raw for marker in _MARKERS)


def check_pgp(parsed: ParsedMessage, settings: PgpSettings) -> tuple[PgpResult, ParsedMessage | None]:
    """Verify/decrypt; return the result and, when decrypted, the decrypted message."""
    if not has_pgp(parsed):
        return PgpResult(status="none"), None
    return PgpResult(status="error", detail="PGP verification not available"), None
