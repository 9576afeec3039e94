"""Grouping cost per observation with 1,000 and 1,000,000 observations already stored.

Not a timed test: run it by hand and compare the two figures, which should be about
equal (every grouping statement is an indexed lookup or a batched write).

    PYTHONPATH=. python benchmarks/grouping_bench.py [--db-url URL] [--sizes 1000,1000000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from abusebox.core.config import Settings
from abusebox.core.models import Observation
from abusebox.incidents.grouping import Grouper
from abusebox.store.db import Database
from abusebox.store.reports import add_observations
from abusebox.store.schema import IncidentRow, MessageRow, ObservationRow, ReportRow

START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_DAYS = 365
PER_INCIDENT = 10
CHUNK = 50_000


def _ip(n: int) -> str:
    return f"{10 + (n >> 16) % 200}.{(n >> 8) % 256}.{n % 256}.{1 + n % 250}"


def fill(db: Database, size: int) -> None:
    """Bulk-insert ``size`` grouped observations (one incident per 10, spread over a year)."""
    rng = random.Random(size)
    with db.engine.begin() as conn:
        conn.execute(
            insert(MessageRow),
            [
                {
                    "sha256": f"{size:08x}{0:056x}",
                    "raw": b"x",
                    "size": 1,
                    "source": "bench",
                    "source_id": "0",
                    "received_at": START,
                    "status": "processed",
                    "attempts": 0,
                    "archived": False,
                }
            ],
        )
        conn.execute(
            insert(ReportRow),
            [
                {
                    "message_pk": 1,
                    "verdict": "report",
                    "format": "bench",
                    "spam_score": 0.0,
                    "reasons": [],
                    "extraction_reasons": [],
                    "pgp_status": "none",
                    "pgp_encrypted": False,
                    "pgp_detail": {},
                    "verdict_by": "bench",
                    "created_at": START,
                    "updated_at": START,
                }
            ],
        )
    incidents = max(1, size // PER_INCIDENT)
    # Incidents get ids 1..n in insertion order (fresh table); observations refer to them.
    for base in range(0, incidents, CHUNK):
        rows = []
        for n in range(base, min(incidents, base + CHUNK)):
            t = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
            rows.append(
                {
                    "group_key": _ip(n),
                    "key_kind": "ip",
                    "category": "scan",
                    "state": "new",
                    "priority": "normal",
                    "ours": False,
                    "first_seen": t,
                    "last_seen": t + timedelta(hours=1),
                    "last_activity_at": t,
                    "report_count": 1,
                    "observation_count": PER_INCIDENT,
                    "abuse_contacts": [],
                    "created_at": t,
                    "updated_at": t,
                }
            )
        with db.engine.begin() as conn:
            conn.execute(insert(IncidentRow), rows)
    for base in range(0, size, CHUNK):
        rows = []
        for n in range(base, min(size, base + CHUNK)):
            inc = n // PER_INCIDENT
            rows.append(
                {
                    "report_pk": 1,
                    "incident_pk": inc + 1,
                    "role": "source",
                    "ip": _ip(inc),
                    "group_key": _ip(inc),
                    "time": START,
                    "category": "scan",
                    "evidence": "",
                    "confidence": 1.0,
                    "created_at": START,
                }
            )
        with db.engine.begin() as conn:
            conn.execute(insert(ObservationRow), rows)
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def measure(db: Database, size: int, count: int = 2000, per_report: int = 20) -> tuple[float, float]:
    """Seconds per observation (store + group, group alone) for ``count`` new observations."""
    grouper = Grouper(Settings())
    rng = random.Random(7)
    incidents = max(1, size // PER_INCIDENT)
    started = time.perf_counter()
    grouping = 0.0
    for r in range(count // per_report):
        when = START + timedelta(days=rng.randrange(SPAN_DAYS))
        # half join existing keys, half are new sources
        obs = [
            Observation(
                ip=_ip(rng.randrange(incidents)) if i % 2 else f"172.16.{r % 256}.{i + 1}",
                time=when + timedelta(minutes=i),
                category="scan",
            )
            for i in range(per_report)
        ]
        with db.session() as session:
            stored = add_observations(session, 1, obs, when)
            t = time.perf_counter()
            grouper.group_report(session, stored, None, now=when)
            session.flush()
            grouping += time.perf_counter() - t
    return (time.perf_counter() - started) / count, grouping / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db-url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--sizes", default="1000,1000000")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            url = args.db_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            db = Database(url)
            if args.db_url:
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA IF EXISTS bench CASCADE"))
                    conn.execute(text("CREATE SCHEMA bench"))
                db.dispose()
                db = Database(url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dbench")
            db.upgrade()
            t0 = time.perf_counter()
            fill(db, size)
            filled = time.perf_counter() - t0
            per_obs, group_only = measure(db, size)
            print(
                f"{db.dialect:10s} stored {size:>9,d} observations (filled in {filled:5.1f}s): "
                f"{group_only * 1e6:7.1f} µs grouping per observation "
                f"({per_obs * 1e6:7.1f} µs with storing it and the commit)"
            )
            if args.db_url:
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA bench CASCADE"))
            db.dispose()


if __name__ == "__main__":
    main()
