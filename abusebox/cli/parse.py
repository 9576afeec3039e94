"""`abusebox parse --json FILE`: the pipeline up to extraction, no database, no network."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from abusebox.cli.common import err
from abusebox.cli.output import print_json
from abusebox.pgp.describe import headline as pgp_headline
from abusebox.pgp.describe import lines as pgp_lines
from abusebox.workers import AnalysisFailure, AnalyzerPool


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("parse", parents=[common], help="analyse one message and print what was found")
    p.add_argument("file", help="an .eml file, or - for standard input")
    p.add_argument("--json", action="store_true", help="print the JSON object of DESIGN.md")
    p.set_defaults(func=cmd_parse)


def cmd_parse(args: argparse.Namespace) -> int:
    if args.file == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            raw = Path(args.file).read_bytes()
        except OSError as exc:
            err(f"{args.file}: cannot read: {exc.strerror}")
            return 1
    if not raw.strip():
        err(f"{args.file}: empty input")
        return 1
    # A worker process enforces the per-message time limit here as in the pipeline.
    with AnalyzerPool(args.settings, processes=1) as pool:
        outcome = next(iter(pool.run([(args.file, raw)])))
    result = outcome.analysis or outcome.failure
    if isinstance(result, AnalysisFailure) or result is None:
        assert isinstance(result, AnalysisFailure)
        if args.json:
            print_json({"error": {"stage": result.stage, "reason": result.reason}})
        err(f"{args.file}: {result.stage}: {result.reason}")
        return 1
    data = result.contract()
    if args.json:
        print_json(data)
        return 0
    print(f"From:     {data['from']}")
    print(f"Subject:  {data['subject']}")
    print(f"Date:     {data['date']}")
    print(f"Format:   {data['format']}  Language: {data['language']}  PGP: {pgp_headline(result.pgp)}")
    for line in pgp_lines(result.pgp):
        print(f"  PGP {line}")
    print(f"Verdict:  {data['verdict']}  Category: {data['category']}")
    for reason in result.triage.reasons:
        print(f"  - {reason}")
    for obs in data["observations"]:  # type: ignore[union-attr]
        print(f"  {obs['ip']:<40} {obs['time'] or '-':<21} {obs['category'] or '-':<18} {obs['port'] or ''}")
    if data["targets"]:
        print(f"Targets:  {', '.join(data['targets'])}")  # type: ignore[arg-type]
    return 0
