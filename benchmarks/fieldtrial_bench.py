"""Extraction and triage quality over the held-out field-trial samples.

Prints source recall/precision, time, verdict, category, format, port and target
figures over tests/data/fieldtrial/ (or, with --set 2, the second held-out set in
tests/data/fieldtrial2/; --set 3: tests/data/fieldtrial3/) and, with -v, every sample's misses.
Run: PYTHONPATH=. python benchmarks/fieldtrial_bench.py [-v] [--set 1|2|3]
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fieldtrial_score import (
    FIELDTRIAL,
    FIELDTRIAL2,
    FIELDTRIAL3,
    figures,
    report_lines,
    samples,
    score_sample,
)

SETS = {"1": FIELDTRIAL, "2": FIELDTRIAL2, "3": FIELDTRIAL3}


def main(verbose: bool = False, which: str = "1") -> int:
    started = time.perf_counter()
    scores = [score_sample(path) for path in samples(SETS[which])]
    elapsed = time.perf_counter() - started
    if verbose:
        print("\n".join(report_lines(scores)) or "no misses")
    for name, value in asdict(figures(scores)).items():
        print(f"{name:26} {value:.3f}" if isinstance(value, float) else f"{name:26} {value}")
    print(f"{'seconds':26} {elapsed:.2f}")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    chosen = args[args.index("--set") + 1] if "--set" in args[:-1] else "1"
    if chosen not in SETS:
        sys.exit(f"--set must be one of {sorted(SETS)}")
    sys.exit(main("-v" in args, chosen))
