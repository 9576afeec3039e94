"""A clearsigned JPCERT/CC notice through analyze(): its PGP check runs gpg."""

from __future__ import annotations

from datetime import UTC, datetime

from paths import DATA

from abusebox.core.config import Settings
from abusebox.pipeline.analyze import analyze


def test_jpcert_clearsigned_notice() -> None:
    extraction = analyze((DATA / "formats" / "jpcert_clearsigned.eml").read_bytes(), Settings()).extraction
    assert extraction.format == "jpcert"
    assert extraction.category == "brute-force"
    [obs] = extraction.observations
    assert (obs.ip, obs.time, obs.port) == ("192.0.2.45", datetime(2026, 11, 19, 13, 5, tzinfo=UTC), 22)
    assert extraction.targets == ["198.51.100.7"]
