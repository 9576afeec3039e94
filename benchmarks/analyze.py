"""Analysis alone, in this process: `python -m benchmarks analyze --messages 2000`.

Builds the mixed corpus (benchmarks/mixed.py) and runs the analysis stages on each mail as
analyze() runs them (parse, PGP, extract, triage), timed stage by stage in CPU time of this
process unless ``--wall`` (gpg's own process is not counted then, and a shared machine's
load barely moves the figures): per stage the mean, p99 and the count of mails over 20 ms;
the slowest mails (those gpg or an archive explains are marked); with ``--profile FILE`` a
cProfile of the whole run (``--profile-top N`` prints the top functions by own time). No
database, no Dovecot: quick enough to run after each change.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from abusebox.core.config import PgpSettings, Settings
from benchmarks.mixed import corpus
from benchmarks.stages import SLOW_MS, STAGES, MailCost, heap_frozen, mail_costs

NAME = "analyze"
HELP = "the analysis stages alone, in process: ms/msg per stage, p99, slowest mails"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--messages", type=int, default=2000, help="mails in the corpus (default 2000)")
    p.add_argument("--slowest", type=int, default=20, help="how many of the slowest mails to list")
    p.add_argument("--wall", action="store_true", help="time wall clock (default: this process's CPU time)")
    p.add_argument("--profile", type=Path, metavar="FILE", help="write a cProfile of the run to FILE")
    p.add_argument("--profile-top", type=int, default=0, metavar="N", help="print the N top functions")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def print_report(costs: list[MailCost], slowest: int, clock_name: str) -> None:
    n = len(costs)
    print(f"analysis in one process over {n} mails (ms per message, {clock_name}):")
    print(f"  {'stage':<10} {'mean':>8} {'p99':>8} {'max':>8} {'>' + format(SLOW_MS, 'g') + ' ms':>7}")
    for name in (*STAGES, "analysis"):
        values = [c.total if name == "analysis" else c.stages.get(name, 0.0) for c in costs]
        over = sum(1 for v in values if v > SLOW_MS)
        p99 = percentile(values, 0.99)
        print(f"  {name:<10} {sum(values) / n:8.3f} {p99:8.3f} {max(values):8.2f} {over:7d}")
    unexplained = [c for c in costs if c.total > SLOW_MS and not c.explained]
    print(f"  mails over {SLOW_MS:g} ms without gpg or an archive: {len(unexplained)}")
    print(f"slowest {slowest}:")
    for c in sorted(costs, key=lambda c: c.total, reverse=True)[:slowest]:
        parts = " ".join(f"{k}={v:.1f}" for k, v in c.stages.items())
        mark = " [gpg/archive]" if c.explained else ""
        print(f"  {c.total:7.1f} ms  {parts}  {c.what}{mark}")


def run(args: argparse.Namespace) -> int:
    mails = list(corpus(args.messages))
    with tempfile.TemporaryDirectory(prefix="abusebox-analyze-") as tmp:
        home = Path(tmp) / "gnupg"
        home.mkdir(mode=0o700)
        settings = Settings(pgp=PgpSettings(gnupghome=str(home)))
        mail_costs(mails[:20], settings)  # warm up: imports, compiled patterns, automata
        profiler = cProfile.Profile() if args.profile or args.profile_top else None
        if profiler:
            profiler.enable()
        clock = time.perf_counter if args.wall else time.process_time
        with heap_frozen():
            costs = mail_costs(mails, settings, clock)
        if profiler:
            profiler.disable()
            if args.profile:
                profiler.dump_stats(str(args.profile))
    print_report(costs, args.slowest, "wall clock" if args.wall else "CPU")
    if profiler and args.profile_top:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile_top)
    return 0
