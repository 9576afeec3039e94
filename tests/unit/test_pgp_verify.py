"""Mail without PGP never starts gpg."""

from __future__ import annotations

from pgp_support import (
    REPORT,
    message,
    part_bytes,
    text_part,
)

from abusebox.core.config import PgpSettings
from abusebox.core.models import PgpResult
from abusebox.parsing.mime import parse_message
from abusebox.pgp import check_pgp, has_pgp


def test_no_pgp_costs_no_gpg_call() -> None:
    raw = message(part_bytes(text_part(REPORT)))
    parsed = parse_message(raw)
    assert not has_pgp(parsed)
    missing = PgpSettings(gpg_binary="/nonexistent/gpg", gnupghome="/nonexistent/home")
    assert check_pgp(parsed, missing) == (PgpResult(status="none"), None)
