"""End-to-end ingest throughput: N generated reports through store -> analyse -> commit (SQLite).

Usage: python benchmarks/ingest_bench.py [N]   (default 2000)
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from abusebox.config import Settings  # noqa: E402
from abusebox.models import RawMessage  # noqa: E402
from abusebox.pipeline import IngestCounts, Pipeline  # noqa: E402
from abusebox.sources.local import iter_path  # noqa: E402
from abusebox.store.db import Database  # noqa: E402
from abusebox.workers import AnalyzerPool  # noqa: E402


def generated(n: int) -> list[RawMessage]:
    templates = [m.raw for m in iter_path(REPO / "examples" / "inbox") if isinstance(m, RawMessage)]
    out = []
    for i in range(n):
        raw = templates[i % len(templates)]
        # A distinct header per copy so each is a new message (new sha256), as in a real mailbox.
        out.append(RawMessage(f"X-Bench-Seq: {i}\n".encode() + raw, "bench", f"bench/{i}"))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    messages = generated(n)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(path=str(Path(tmp) / "abusebox.toml"))
        settings = replace(settings, database=replace(settings.database, url=f"sqlite:///{tmp}/bench.db"))
        db = Database(settings.database_url())
        db.upgrade()
        counts = IngestCounts()
        start = time.perf_counter()
        with AnalyzerPool(settings) as pool:
            for result in Pipeline(settings, db, pool).ingest(messages):
                counts.add(result)
        elapsed = time.perf_counter() - start
    print(f"ingest: {n} messages in {elapsed:.2f} s = {n / elapsed:,.0f} msgs/s ({counts.summary()})")


if __name__ == "__main__":
    main()
