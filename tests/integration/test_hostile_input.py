"""Hostile input through the real pipeline: Pipeline + AnalyzerPool + database, both backends.

Every case of tests/hostile_cases.py is ingested followed by a normal report. Each must
end processed (with a sensible verdict) or quarantined with a stage and a reason; its raw
bytes must come back unchanged; the normal report after it must still be processed (so
the analysis worker survived); and it must finish within the time limit plus a margin.

One database and one analyzer pool serve all cases of a backend (module scope, built
the way conftest's ``db``/``settings`` fixtures build theirs): a schema upgrade per
case would cost more than the cases themselves.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hostile_cases import CASES, REPORT_LINE, Case

from abusebox.core.config import LimitSettings, Settings
from abusebox.core.models import RawMessage
from abusebox.pipeline.counts import IngestResult
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store import messages as message_store
from abusebox.store.db import Database

TIMEOUT = 5.0  # per-message analysis limit for these tests
MARGIN = 10.0  # storing 40 MB of evidence and committing take time of their own
GOOD = (
    b"From: Reporter <reporter@example.net>\r\nTo: abuse@example.jp\r\n"
    b"Subject: SSH brute force from 203.0.113.9\r\nDate: Thu, 19 Nov 2026 10:20:30 +0900\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Our server was attacked; log excerpt:\r\n\r\n" + REPORT_LINE + REPORT_LINE.replace(b":30", b":31")
)


@dataclass
class Env:
    settings: Settings
    db: Database
    pool: AnalyzerPool


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("hostile")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'abusebox.db'}"
    else:
        url = request.getfixturevalue("pg_schema_url")
    db = Database(url)
    db.upgrade()
    base = Settings(path=str(tmp / "abusebox.toml"))
    settings = replace(
        base,
        database=replace(base.database, url=url),
        limits=LimitSettings(worker_processes=1, message_timeout_seconds=TIMEOUT),
    )
    with AnalyzerPool(settings) as pool:
        yield Env(settings, db, pool)
    db.dispose()


def ingest(env: Env, items: list[RawMessage]) -> list[IngestResult]:
    return list(Pipeline(env.settings, env.db, env.pool).ingest(items))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(env: Env, case: Case) -> None:
    raw = case.build()
    good = b"X-Case: " + case.name.encode() + b"\r\n" + GOOD  # unique, so not a duplicate
    started = time.monotonic()
    results = ingest(env, [RawMessage(raw, "hostile", case.name), RawMessage(good, "hostile", "good")])
    elapsed = time.monotonic() - started

    by_label = {r.label: r for r in results}
    assert set(by_label) == {case.name, "good"}, results
    result = by_label[case.name]
    assert result.message_pk is not None
    with env.db.session() as session:
        stored = message_store.get_message(session, result.message_pk)
        reasons = message_store.report_reasons(session, result.message_pk)
        kept = message_store.get_raw(session, result.message_pk)
    assert stored is not None
    if result.outcome == "quarantined":
        assert case.expect in ("quarantined", "either"), f"quarantined: {result.reason}"
        assert stored.status == "quarantined"
        assert stored.failed_stage and stored.status_reason, "a quarantine names its stage and reason"
        assert stored.failed_stage in ("limits", "parse", "pgp", "extract", "triage", "store", "worker")
    else:
        assert result.outcome == "processed", result
        assert case.expect in ("processed", "either"), f"processed as {result.verdict}"
        assert stored.status == "processed"
        if case.verdicts:
            assert result.verdict in case.verdicts, reasons

    # The evidence is kept byte for byte.
    assert hashlib.sha256(kept).hexdigest() == hashlib.sha256(raw).hexdigest() == stored.sha256

    # The worker survived: the normal report that followed was analysed and grouped.
    after = by_label["good"]
    assert (after.outcome, after.verdict) == ("processed", "report"), after
    assert after.incidents, "the normal report after a hostile one is grouped into an incident"
    assert elapsed < TIMEOUT + MARGIN, f"{case.name} took {elapsed:.1f} s"


def test_a_message_over_the_time_limit_is_quarantined_and_the_next_one_processed(
    env: Env, tmp_path: Path
) -> None:
    # Many parts with the part bound raised: parsing alone runs well over 0.3 s.
    slow_settings = replace(
        env.settings, limits=replace(env.settings.limits, max_parts=500_000, message_timeout_seconds=0.3)
    )
    raw = next(c for c in CASES if c.name == "many_parts_100k").build() + b"\r\nX: slow\r\n"
    good = b"X-Case: after-timeout\r\n" + GOOD
    started = time.monotonic()
    with AnalyzerPool(slow_settings) as pool:
        pipeline = Pipeline(slow_settings, env.db, pool)
        results = {
            r.label: r for r in pipeline.ingest([RawMessage(raw, "t", "slow"), RawMessage(good, "t", "ok")])
        }
    assert time.monotonic() - started < 0.3 + MARGIN
    assert results["slow"].outcome == "quarantined"
    assert "time limit of 0.3 s exceeded" in (results["slow"].reason or "")
    assert results["ok"].outcome == "processed"
    with env.db.session() as session:
        stored = message_store.get_message(session, results["slow"].message_pk or 0)
    assert stored is not None and stored.failed_stage == "limits"
