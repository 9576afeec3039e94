"""What one fuzz example runs: analysis in this process, then the one writer on SQLite.

A finding is an analysis stage that raised (an AnalysisFailure with a traceback), a
result whose `parse --json` contract cannot be built, a store-stage quarantine at commit
(a message the writer could not store), or an analysis slower than the slow limit.
"""

from __future__ import annotations

import signal
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

from abusebox.core.config import LimitSettings, Settings
from abusebox.core.models import Analysis, RawMessage
from abusebox.incidents.grouping import Grouper
from abusebox.pipeline import commit
from abusebox.pipeline.pool import AnalysisFailure, AnalysisOutcome, analyze_safely, slim
from abusebox.store import messages as message_store
from abusebox.store.db import Database


@dataclass(frozen=True)
class Finding:
    kind: str  # "raised", "contract", "store", "slow"
    signature: str  # what deduplicates findings: the exception and where it was raised
    detail: str


class _Slow(Exception):
    pass


def _alarm(_sig: int, _frame: FrameType | None) -> None:
    raise _Slow


def _signature(tb: str) -> str:
    lines = [ln.strip() for ln in tb.strip().splitlines() if ln.strip()]
    where = [ln for ln in lines if ln.startswith('File "')]
    return f"{lines[-1][:120] if lines else '?'} @ {where[-1] if where else '?'}"


class Target:
    """Holds the settings, a scratch SQLite database and the writer's grouper."""

    def __init__(self, workdir: Path, slow_seconds: float = 10.0) -> None:
        base = Settings(path=str(workdir / "abusebox.toml"))
        self.settings = replace(
            base,
            database=replace(base.database, url=f"sqlite:///{workdir / 'fuzz.db'}"),
            limits=LimitSettings(worker_processes=1),
        )
        self.db = Database(self.settings.database.url)
        self.db.upgrade()
        self.grouper = Grouper(self.settings)
        self.slow_seconds = slow_seconds
        self.counter = 0
        signal.signal(signal.SIGALRM, _alarm)

    def run(self, raw: bytes) -> list[Finding]:
        findings: list[Finding] = []
        started = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, self.slow_seconds)
        try:
            result = analyze_safely(raw, self.settings)
        except _Slow:
            return [Finding("slow", "analysis over the slow limit", f"> {self.slow_seconds} s")]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if not isinstance(result, Analysis):
            if result.traceback:
                findings.append(
                    Finding("raised", f"{result.stage}: {_signature(result.traceback)}", result.traceback)
                )
            failure = result
            analysis = None
        else:
            failure = None
            analysis = result
            try:
                analysis.contract()
            except Exception:
                tb = traceback.format_exc()
                findings.append(Finding("contract", _signature(tb), tb))
        elapsed = time.monotonic() - started
        if elapsed > self.slow_seconds:
            findings.append(Finding("slow", "analysis over the slow limit", f"{elapsed:.1f} s"))
        findings += self._commit(raw, analysis, failure)
        return findings

    def _commit(
        self, raw: bytes, analysis: Analysis | None, failure: AnalysisFailure | None
    ) -> list[Finding]:
        """Store and commit the message the way ingest does (raw first, then the one writer)."""
        self.counter += 1
        item = RawMessage(raw, "fuzz", f"fuzz-{self.counter}")
        try:
            with self.db.session() as session:
                (stored,) = message_store.store_raw_many(session, [item])
            if stored.status != "new":
                return []
            outcome = AnalysisOutcome(
                (stored.pk, item.source_id), slim(analysis) if analysis else None, failure
            )
            (result,) = commit.write(self.db.session, self.grouper, [outcome], None)
        except Exception:
            tb = traceback.format_exc()
            return [Finding("store", _signature(tb), tb)]
        if result.outcome == "quarantined" and (result.reason or "").startswith("store:"):
            with self.db.session() as session:
                detail = message_store.message_traceback(session, stored.pk) or result.reason or ""
            return [Finding("store", _signature(detail), detail)]
        return []
