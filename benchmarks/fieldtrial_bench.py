"""Extraction and triage quality over the held-out field-trial samples.

Prints source recall/precision, time, verdict, category, format, port and target
figures over tests/data/fieldtrial/ and, with -v, every sample's misses.
Run: PYTHONPATH=. python benchmarks/fieldtrial_bench.py [-v]
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fieldtrial_score import figures, report_lines, samples, score_sample


def main(verbose: bool = False) -> int:
    started = time.perf_counter()
    scores = [score_sample(path) for path in samples()]
    elapsed = time.perf_counter() - started
    if verbose:
        print("\n".join(report_lines(scores)) or "no misses")
    for name, value in asdict(figures(scores)).items():
        print(f"{name:26} {value:.3f}" if isinstance(value, float) else f"{name:26} {value}")
    print(f"{'seconds':26} {elapsed:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main("-v" in sys.argv[1:]))
