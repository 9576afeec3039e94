"""PGP verification and decryption of incoming reports (python-gnupg + the gpg binary).

Modules: gpg (running gpg safely), detect (does a message need gpg at all), mime
(byte-exact PGP/MIME parts), verify, decrypt, result (how the overall status is decided:
read its docstring), check (the walk over one message), rebuild (decrypted parts back into
the message), describe (PGP status for people), stored (a result to and from its report
row), keys and trust (keyring management), sign (outgoing mail).
"""

from __future__ import annotations

import dataclasses
import logging

from abusebox.core.config import LimitSettings, PgpSettings, Settings
from abusebox.core.models import ParsedMessage, PgpResult
from abusebox.pgp.check import run_checks
from abusebox.pgp.detect import has_pgp
from abusebox.pgp.gpg import GpgError, open_keyring
from abusebox.pgp.mime import MimeLimit

log = logging.getLogger(__name__)


def resolve_settings(settings: Settings) -> PgpSettings:
    """The [pgp] settings with GNUPGHOME made absolute relative to the config file."""
    home = settings.resolve_path(settings.pgp.gnupghome)
    return dataclasses.replace(settings.pgp, gnupghome=str(home))


def check_pgp(
    parsed: ParsedMessage, settings: PgpSettings, limits: LimitSettings | None = None
) -> tuple[PgpResult, ParsedMessage | None]:
    """Verify/decrypt; return the result and, when decrypted, the decrypted message re-parsed.

    Never raises: a missing or failing gpg gives status "error" with the reason in detail.
    A relative ``settings.gnupghome`` is taken relative to the current directory; use
    resolve_settings() to anchor it at the config file.
    """
    if not has_pgp(parsed):
        return PgpResult(status="none"), None
    if not settings.enabled:
        return PgpResult(status="none", detail="PGP checks are disabled in the configuration"), None
    try:
        return run_checks(parsed, settings, open_keyring(settings), limits or LimitSettings())
    except (GpgError, MimeLimit) as exc:
        return PgpResult(status="error", detail=str(exc)), None
    except Exception as exc:
        # Boundary: a PGP problem must never fail the message; the traceback goes to the log.
        log.exception("PGP check failed")
        return PgpResult(status="error", detail=f"PGP check failed: {type(exc).__name__}: {exc}"), None


__all__ = ["check_pgp", "has_pgp", "resolve_settings"]
