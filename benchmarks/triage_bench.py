"""Triage quality and speed over the shared corpus and our labelled fixtures.

False positive = a report called spam / non_incident / automated (the costly
error: a real incident is filed away). False negative = junk called report (the
desk wastes a look). Every corpus .eml/.msg is a report; tests/data/triage/labels.tsv
labels the fixtures. Run: PYTHONPATH=. python benchmarks/triage_bench.py [-v]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from abusebox.core.config import Settings
from abusebox.pipeline.analyze import analyze

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FIXTURES = REPO / "tests" / "data" / "triage"


def labelled() -> list[tuple[str, Path, str]]:
    """(set name, path, expected verdict) for every sample."""
    samples: list[tuple[str, Path, str]] = []
    if CORPUS.is_dir():
        for path in sorted([*CORPUS.rglob("*.eml"), *CORPUS.rglob("*.msg")]):
            samples.append(("corpus", path, "report"))
    else:
        print(f"corpus not found at {CORPUS}: fixtures only", file=sys.stderr)
    for line in (FIXTURES / "labels.tsv").read_text().splitlines():
        if line and not line.startswith("#"):
            name, verdict, _category = line.split("\t")
            samples.append(("fixtures", FIXTURES / name, verdict))
    return samples


def main(verbose: bool = False) -> int:
    settings = Settings()
    samples = labelled()
    confusion: Counter[tuple[str, str]] = Counter()
    fp: list[str] = []
    fn: list[str] = []
    started = time.perf_counter()
    for set_name, path, expected in samples:
        analysis = analyze(path.read_bytes(), settings)
        got = analysis.verdict
        confusion[(expected, got)] += 1
        label = f"{set_name}:{path.name} expected {expected}, got {got} ({analysis.triage.score:+.1f})"
        if expected == "report" and got != "report":
            fp.append(label)
        elif expected != "report" and got == "report":
            fn.append(label)
        if verbose:
            print(label)
    elapsed = time.perf_counter() - started
    reports = sum(1 for _s, _p, e in samples if e == "report")
    junk = len(samples) - reports
    print(
        f"samples: {len(samples)} ({reports} reports, {junk} junk)  in {elapsed:.2f} s "
        f"({len(samples) / elapsed:.0f} msgs/s, parse+extract+triage)"
    )
    print(f"false-positive rate (reports called junk): {len(fp)}/{reports} = {len(fp) / max(reports, 1):.1%}")
    print(f"false-negative rate (junk called report):  {len(fn)}/{junk} = {len(fn) / max(junk, 1):.1%}")
    wrong_kind = sum(n for (e, g), n in confusion.items() if e != g and "report" not in (e, g))
    print(f"junk of the wrong kind (e.g. spam called non_incident): {wrong_kind}")
    for line in fp + fn:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main("-v" in sys.argv[1:]))
