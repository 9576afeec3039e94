"""`python -m benchmarks SUBCOMMAND ...`: one command for every benchmark.

A subcommand is a module of this package with ``NAME``, ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``; registering one is one line in SUBCOMMANDS.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

SUBCOMMANDS = (
    "benchmarks.analyze",
    "benchmarks.compiled",
    "benchmarks.ingest",
    "benchmarks.mbox",
    "benchmarks.feed",
    "benchmarks.workers",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    for name in SUBCOMMANDS:
        module = importlib.import_module(name)
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.__doc__)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
