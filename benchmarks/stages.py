"""What each stage costs per message: parse, PGP, extract, triage (one process) and commit.

The analysis stages run here, one after the other as analyze() runs them, timed each; the
commit is timed in the main process of an in-process Pipeline over the same mails (fresh
SQLite file). Mails over 20 ms of analysis are listed unless gpg or an archive explains it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from abusebox.core.config import PgpSettings, Settings
from abusebox.core.models import RawMessage
from abusebox.extract import extract
from abusebox.parsing.language import detect_language
from abusebox.parsing.mime import parse_message
from abusebox.pgp import check_pgp
from abusebox.pipeline import ingest as pipeline_ingest
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store.db import Database
from abusebox.triage import triage

T = TypeVar("T")
SLOW_MS = 20.0


def _timed(
    acc: dict[str, float], name: str, fn: Callable[[], T], clock: Callable[[], float] = time.perf_counter
) -> T:
    start = clock()
    try:
        return fn()
    finally:
        acc[name] = acc.get(name, 0.0) + (clock() - start) * 1000


STAGES = ("parse", "pgp", "extract", "triage")


@dataclass
class MailCost:
    """One mail's analysis: ms per stage, and whether gpg or an archive explains its cost."""

    stages: dict[str, float]
    explained: bool
    what: str

    @property
    def total(self) -> float:
        return sum(self.stages.values())


def mail_costs(
    mails: list[bytes], settings: Settings, clock: Callable[[], float] = time.perf_counter
) -> list[MailCost]:
    """Each mail through the analysis stages as analyze() runs them, timed stage by stage
    (``clock``: wall time by default; the analyze benchmark passes CPU time)."""
    costs: list[MailCost] = []
    for raw in mails:
        one: dict[str, float] = {}
        parsed = _timed(one, "parse", lambda: parse_message(raw, settings.limits), clock)  # noqa: B023
        pgp, decrypted = _timed(one, "pgp", lambda: check_pgp(parsed, settings.pgp, settings.limits), clock)  # noqa: B023
        content = decrypted or parsed
        extraction = _timed(one, "extract", lambda: extract(content, settings.limits), clock)  # noqa: B023
        _timed(one, "triage", lambda: triage(content, pgp, extraction, settings.triage, None), clock)  # noqa: B023
        if extraction.language is None:
            _timed(one, "triage", lambda: detect_language(content), clock)  # noqa: B023
        archive = any(
            (a.filename or "").lower().endswith((".zip", ".gz", ".7z", ".tar")) for a in parsed.attachments
        )
        explained = pgp.status != "none" or archive
        costs.append(MailCost(one, explained, f"{parsed.subject[:60]!r} ({len(raw)} bytes)"))
    return costs


@contextmanager
def heap_frozen() -> Iterator[None]:
    """What the benchmark holds (the corpus, earlier results) kept out of the collector's
    passes while mails are timed. An analysis process holds one mail at a time; here a
    full collection walks thousands (40-60 ms, counted with ``gc.callbacks``) and would be
    charged to whichever mail happens to trigger it."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def analysis_costs(
    mails: list[bytes], settings: Settings
) -> tuple[dict[str, float], list[tuple[float, str]]]:
    """Total ms per stage over ``mails``, and the mails over SLOW_MS not explained by gpg/archives."""
    totals: dict[str, float] = {}
    slow: list[tuple[float, str]] = []
    mail_costs(mails[:20], settings)  # warm up: imports, compiled patterns, automata
    with heap_frozen():
        costs = mail_costs(mails, settings)
    for cost in costs:
        for name, ms in cost.stages.items():
            totals[name] = totals.get(name, 0.0) + ms
        if cost.total > SLOW_MS and not cost.explained:
            slow.append((cost.total, cost.what))
    return totals, sorted(slow, reverse=True)


def commit_cost(mails: list[bytes], tmp: Path, settings: Settings) -> tuple[float, float]:
    """ms per message of the main process: storing the raw bytes, and the commit."""
    url = f"sqlite:///{tmp / 'stages.db'}"
    settings = replace(settings, database=replace(settings.database, url=url))
    db = Database(url)
    db.upgrade()
    spent = {"commit": 0.0}
    write = pipeline_ingest.commit.write

    def timed_write(*args: Any, **kwargs: Any) -> list[Any]:
        # A plain function, as commit.write is: the pipeline calls it inside the session
        # that holds the lease guard (a generator would run after that session ended).
        start = time.perf_counter()
        results = list(write(*args, **kwargs))
        spent["commit"] += (time.perf_counter() - start) * 1000
        return results

    items = [RawMessage(raw, "bench", f"bench/{i}") for i, raw in enumerate(mails)]
    pipeline_ingest.commit.write = timed_write  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        with AnalyzerPool(settings) as pool:
            for _ in Pipeline(settings, db, pool).ingest(items):
                pass
        wall = (time.perf_counter() - start) * 1000
    finally:
        pipeline_ingest.commit.write = write  # type: ignore[assignment]
    db.dispose()
    return spent["commit"] / len(mails), wall / len(mails)


def print_table(mails: list[bytes], tmp: Path) -> None:
    (tmp / "stages-gnupg").mkdir(mode=0o700, exist_ok=True)
    settings = Settings(pgp=PgpSettings(gnupghome=str(tmp / "stages-gnupg")))
    totals, slow = analysis_costs(mails, settings)
    commit_ms, wall_ms = commit_cost(mails, tmp, settings)
    n = len(mails)
    print(f"per-stage cost over {n} mails (ms per message; analysis in one process):")
    print(f"  {'stage':<10} {'ms/msg':>8}")
    for name in STAGES:
        print(f"  {name:<10} {totals.get(name, 0.0) / n:8.3f}")
    print(f"  {'analysis':<10} {sum(totals.values()) / n:8.3f}")
    print(f"  {'commit':<10} {commit_ms:8.3f}   (main process; pipeline wall {wall_ms:.3f} ms/msg)")
    print(f"  mails over {SLOW_MS:g} ms without gpg or an archive: {len(slow)}")
    for cost, what in slow[:5]:
        print(f"    {cost:7.1f} ms  {what}")
