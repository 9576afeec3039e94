"""`abusebox parse --json FILE`: the pipeline up to extraction, no database, no network."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from abusebox.cli.common import err
from abusebox.cli.output import clean, print_json


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("parse", parents=[common], help="analyse one message and print what was found")
    p.add_argument("file", help="an .eml file, or - for standard input")
    p.add_argument("--json", action="store_true", help="print the JSON object of DESIGN.md")
    p.set_defaults(func=cmd_parse)


def _read(name: str, limit: int) -> bytes | str:
    """At most ``limit + 1`` bytes of the file (or stdin): enough to tell it is over the limit."""
    try:
        if name == "-":
            return sys.stdin.buffer.read(limit + 1)
        with Path(name).open("rb") as fh:
            return fh.read(limit + 1)
    except OSError as exc:
        return f"cannot read: {exc.strerror}"


def _fail(args: argparse.Namespace, stage: str, reason: str) -> int:
    if args.json:  # a script reading stdout always gets JSON
        print_json({"error": {"stage": stage, "reason": reason}})
    err(f"{args.file}: {stage}: {reason}")
    return 1


def cmd_parse(args: argparse.Namespace) -> int:
    from abusebox.core.models import format_utc
    from abusebox.pgp.describe import headline as pgp_headline
    from abusebox.pgp.describe import lines as pgp_lines
    from abusebox.pipeline.pool import AnalysisFailure, AnalyzerPool

    limit = args.settings.limits.max_message_bytes
    raw = _read(args.file, limit)
    if isinstance(raw, str):
        return _fail(args, "read", raw)
    if not raw.strip():
        return _fail(args, "read", "empty input")
    if len(raw) > limit:  # never hold more: the analysis would refuse it anyway
        return _fail(args, "limits", f"message over {limit} bytes (limits.max_message_bytes)")
    # A worker process enforces the per-message time limit here as in the pipeline.
    with AnalyzerPool(args.settings, processes=1) as pool:
        outcome = next(iter(pool.run([(args.file, raw)])))
    result = outcome.analysis or outcome.failure
    if isinstance(result, AnalysisFailure) or result is None:
        assert isinstance(result, AnalysisFailure)
        return _fail(args, result.stage, result.reason)
    data = result.contract()
    if args.json:
        print_json(data)
        return 0
    print(f"From:     {clean(str(data['from']))}")
    print(f"Subject:  {clean(str(data['subject']))}")
    print(f"Date:     {data['date']}")
    print(f"Format:   {data['format']}  Language: {data['language']}  PGP: {pgp_headline(result.pgp)}")
    for line in pgp_lines(result.pgp):
        print(f"  PGP {line}")
    print(f"Verdict:  {data['verdict']}  Category: {data['category']}")
    for reason in result.triage.reasons:
        print(f"  - {clean(str(reason))}")
    for obs in result.reported_sources():
        shown = format_utc(obs.time) or "-"
        if obs.time_end is not None:
            shown += f" to {format_utc(obs.time_end)}"
        print(f"  {obs.ip:<40} {shown:<21} {obs.category or '-':<18} {obs.port or ''}")
    targets = result.extraction.targets
    if targets:
        print(f"Targets:  {', '.join(targets)}")
    return 0
