"""Bulk import: `python -m benchmarks mbox --messages 100000` (msgs/s and peak RSS)."""

from __future__ import annotations

import argparse

NAME = "mbox"
HELP = "abusebox ingest of a generated mbox: msgs/s and peak RSS"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--messages", type=int, default=100000)


def run(args: argparse.Namespace) -> int:
    raise SystemExit("not yet")
