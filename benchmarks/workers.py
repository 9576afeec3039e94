"""Scale-out: `python -m benchmarks workers --messages 3000` (msgs/s with 1, 2, 3 workers).

Stores the mixed corpus (benchmarks/mixed.py) as `new` messages in a fresh PostgreSQL
schema, the way a `--role leader` leaves them, then starts N `abusebox run --role
worker` processes (one analysis process each) and times them until every message is
processed or quarantined. The clock starts when the workers are started, so their
start-up is included, as a deployment would pay it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.ingest import database, write_config
from benchmarks.mixed import corpus

NAME = "workers"
HELP = "abusebox run --role worker on PostgreSQL: msgs/s with 1, 2 and 3 worker processes"
DEFAULT_PG = os.environ.get("ABUSEBOX_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--messages", type=int, default=3000, help="stored messages per run (default 3000)")
    p.add_argument("--workers", default="1,2,3", help="worker counts to time (default 1,2,3)")
    p.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL URL (default: the tests' database)")


def _store(url: str, raws: list[bytes]) -> None:
    from abusebox.core.models import RawMessage
    from abusebox.store import messages as message_store
    from abusebox.store.db import Database

    db = Database(url)
    try:
        for start in range(0, len(raws), 500):
            items = [
                RawMessage(raw, "bench", f"m{start + i}") for i, raw in enumerate(raws[start : start + 500])
            ]
            with db.session() as session:
                message_store.store_raw_many(session, items)
    finally:
        db.dispose()


def _left(url: str) -> int:
    from sqlalchemy import func, select

    from abusebox.store.db import Database
    from abusebox.store.schema import MessageRow

    db = Database(url)
    try:
        with db.session() as session:
            return session.execute(select(func.count()).where(MessageRow.status == "new")).scalar_one()
    finally:
        db.dispose()


def _time_workers(tmp: Path, pg_url: str, raws: list[bytes], n: int) -> float:
    with database("postgresql", tmp, pg_url) as url:
        config = write_config(tmp, url, "[limits]\nworker_processes = 1\n\n[web]\nenabled = false\n")
        _store(url, raws)
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "abusebox", "--config", str(config), "run", "--role", "worker"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(n)
        ]
        try:
            while _left(url):
                if any(proc.poll() is not None for proc in procs):
                    raise RuntimeError("a worker exited early")
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=60)
        return elapsed


def run(args: argparse.Namespace) -> int:
    counts = [int(n) for n in args.workers.split(",")]
    raws = list(corpus(args.messages))
    print(f"{args.messages} stored messages, PostgreSQL, {os.cpu_count()} CPUs")
    print("| workers | seconds | msgs/s |")
    print("|---|---|---|")
    with tempfile.TemporaryDirectory() as tmpdir:
        for n in counts:
            seconds = _time_workers(Path(tmpdir), args.pg_url, raws, n)
            print(f"| {n} | {seconds:.1f} | {args.messages / seconds:.0f} |", flush=True)
    return 0
