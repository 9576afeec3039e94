"""End-to-end ingest throughput: N generated reports through store -> analyse -> commit.

Usage: python benchmarks/ingest_bench.py [N] [--postgres URL] [--runs R]

N defaults to 2000. SQLite always runs (a fresh file); with ``--postgres`` the same
messages also go into a fresh schema of that database (dropped afterwards). Each
backend runs R times (default 1) and the best run is printed, as msgs/s.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402

from abusebox.core.config import Settings  # noqa: E402
from abusebox.core.models import RawMessage  # noqa: E402
from abusebox.pipeline.counts import IngestCounts  # noqa: E402
from abusebox.pipeline.ingest import Pipeline  # noqa: E402
from abusebox.pipeline.pool import AnalyzerPool  # noqa: E402
from abusebox.sources.local import iter_path  # noqa: E402
from abusebox.store.db import Database  # noqa: E402


def generated(n: int) -> list[RawMessage]:
    templates = [m.raw for m in iter_path(REPO / "examples" / "inbox") if isinstance(m, RawMessage)]
    out = []
    for i in range(n):
        raw = templates[i % len(templates)]
        # A distinct header per copy so each is a new message (new sha256), as in a real mailbox.
        out.append(RawMessage(f"X-Bench-Seq: {i}\n".encode() + raw, "bench", f"bench/{i}"))
    return out


def ingest(url: str, tmp: str, messages: list[RawMessage]) -> tuple[float, float, IngestCounts]:
    """Seconds (wall clock, and CPU of this main process) to ingest ``messages`` at ``url``."""
    settings = Settings(path=str(Path(tmp) / "abusebox.toml"))
    settings = replace(settings, database=replace(settings.database, url=url))
    db = Database(url)
    db.upgrade()
    counts = IngestCounts()
    start, cpu = time.perf_counter(), time.process_time()
    with AnalyzerPool(settings) as pool:
        for result in Pipeline(settings, db, pool).ingest(messages):
            counts.add(result)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    db.dispose()
    return elapsed, cpu, counts


def sqlite_run(messages: list[RawMessage]) -> tuple[float, float, IngestCounts]:
    with tempfile.TemporaryDirectory() as tmp:
        return ingest(f"sqlite:///{tmp}/bench.db", tmp, messages)


def postgres_run(base_url: str, messages: list[RawMessage]) -> tuple[float, float, IngestCounts]:
    """Run in a schema of its own, so the benchmark never meets other data."""
    schema = f"abusebox_bench_{secrets.token_hex(4)}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return ingest(f"{base_url}{sep}options=-csearch_path%3D{schema}", tmp, messages)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def report(name: str, n: int, runs: list[tuple[float, float, IngestCounts]]) -> None:
    elapsed, cpu, counts = min(runs, key=lambda r: r[0])
    # The main process (store, commit) is what the workers wait for: its CPU per message
    # is the figure to watch, and it is steadier than wall time on a busy machine.
    print(
        f"ingest {name}: {n} messages in {elapsed:.2f} s = {n / elapsed:,.0f} msgs/s, "
        f"main process {1000 * cpu / n:.2f} ms CPU/msg ({counts.summary()})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=2000)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database")
    parser.add_argument("--runs", type=int, default=1, help="runs per backend; the best is printed")
    args = parser.parse_args(argv)
    messages = generated(args.n)
    report("sqlite", args.n, [sqlite_run(messages) for _ in range(args.runs)])
    if args.postgres:
        report("postgresql", args.n, [postgres_run(args.postgres, messages) for _ in range(args.runs)])


if __name__ == "__main__":
    main()
