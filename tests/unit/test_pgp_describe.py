"""A stored PGP result described the way a fresh one is, without gpg."""

from __future__ import annotations

import json

from abusebox.core.models import PgpResult, PgpSignature
from abusebox.pgp.describe import lines
from abusebox.pgp.stored import from_stored, stored_detail


def test_stored_result_reads_like_the_fresh_one() -> None:
    fresh = PgpResult(
        status="valid",
        fingerprint="A" * 40,
        signer_matches_from=True,
        user_ids=["Cert <cert@example.org>"],
        signatures=[PgpSignature("valid", "A" * 40, ["Cert <cert@example.org>"], True)],
        trusted_reporter="@example.org",
        forwarded=[PgpResult(status="invalid", fingerprint="B" * 40, signer_matches_from=False)],
    )
    stored = json.loads(json.dumps(stored_detail(fresh)))  # as the JSON column returns it
    again = from_stored("valid", "A" * 40, True, False, stored)
    assert again == fresh
    assert lines(again) == lines(fresh)
    assert any(line.startswith("forwarded message: invalid") for line in lines(again))
    # Rows written before these keys existed, or damaged: never an exception.
    assert from_stored("bogus", None, None, False, {"signatures": [1, {"status": 2}]}).status == "error"
    assert from_stored("none", None, None, False, None) == PgpResult()
