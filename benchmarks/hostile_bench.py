"""Time per hostile case (tests/hostile_cases.py) through the analysis workers.

Each case goes through ``AnalyzerPool`` (one worker process, the per-message time limit
enforced) as the pipeline runs it, without a database: what one hostile message costs
the worker, and what it ends as.

    PYTHONPATH=. python benchmarks/hostile_bench.py [--timeout SECONDS] [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile_cases import CASES  # noqa: E402

from abusebox.core.config import LimitSettings, Settings  # noqa: E402
from abusebox.pipeline.pool import AnalyzerPool  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=5.0, help="per-message time limit (default 5 s)")
    ap.add_argument("--only", default="", help="run only cases whose name contains this")
    args = ap.parse_args()
    base = Settings(path=str(ROOT / "var" / "bench" / "abusebox.toml"))
    settings = replace(base, limits=LimitSettings(worker_processes=1, message_timeout_seconds=args.timeout))
    print(f"{'case':34} {'size':>10} {'build s':>8} {'analyse s':>9}  outcome")
    total = 0.0
    with AnalyzerPool(settings) as pool:
        for case in CASES:
            if args.only not in case.name:
                continue
            started = time.perf_counter()
            raw = case.build()
            built = time.perf_counter() - started
            started = time.perf_counter()
            (outcome,) = list(pool.run([(case.name, raw)]))
            took = time.perf_counter() - started
            total += took
            if outcome.analysis is not None:
                analysis = outcome.analysis
                result = f"{analysis.verdict} ({analysis.extraction.format}, "
                result += f"{len(analysis.extraction.observations)} obs)"
            else:
                assert outcome.failure is not None
                result = f"quarantined at {outcome.failure.stage}: {outcome.failure.reason[:60]}"
            print(f"{case.name:34} {len(raw):>10,} {built:>8.2f} {took:>9.3f}  {result}", flush=True)
    print(f"total analysis time {total:.2f} s (time limit {args.timeout:g} s per message)")


if __name__ == "__main__":
    main()
