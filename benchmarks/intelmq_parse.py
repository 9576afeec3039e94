"""IntelMQ's Shadowserver parser bot, parse only, on one CSV: run by the venv's python.

    VENV/bin/python benchmarks/intelmq_parse.py SCHEMA.json FILE.csv NAME [--repeat N]

Not part of abusebox and imports none of it: benchmarks/feed.py runs it with the python
of a venv holding ``intelmq`` from PyPI. The bot is built by IntelMQ's own test harness
(``intelmq.lib.test.BotTestCase``: a mocked configuration and an in-memory pipeline, no
Redis), with the Shadowserver schema given (IntelMQ downloads it at run time otherwise).
What is timed is what the bot's ``process`` does per report minus sending: its ``parse``
(base64-decode, CSV) and ``parse_line`` for every row, each event built. Prints one JSON
object: {"rows": events made, "seconds": the best of the repeats, "version": intelmq's}.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
import unittest
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("schema")
    parser.add_argument("csv")
    parser.add_argument("name", help="the CSV's file name as Shadowserver sends it (names the report type)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import intelmq
    import intelmq.lib.utils as utils

    # The harness refuses to run as root unless it can switch to an `intelmq` user; it
    # runs no server and opens no port here, so the check is skipped.
    utils.drop_privileges = lambda: True
    import intelmq.lib.test as harness
    from intelmq.bots.parsers.shadowserver import _config
    from intelmq.bots.parsers.shadowserver.parser import ShadowserverParserBot
    from intelmq.lib.message import Report

    config = vars(_config)["__config"]
    config.schema_file = config.schema_active = args.schema

    class Bench(harness.BotTestCase, unittest.TestCase):  # type: ignore[misc]
        @classmethod
        def set_bot(cls) -> None:
            cls.bot_reference = ShadowserverParserBot
            cls.sysconfig = {"logging_level": "ERROR"}

        def runTest(self) -> None:
            pass

    Bench.setUpClass()
    case = Bench()
    case.prepare_bot()
    bot = case.bot
    raw = Path(args.csv).read_bytes()
    report = Report(
        {
            "__type": "Report",
            "feed.name": "Shadowserver",
            "raw": base64.b64encode(raw).decode("ascii"),
            "time.observation": "2026-11-20T06:32:10+00:00",
            "extra.file_name": args.name,
        },
        harmonization=case.harmonization,
    )
    best = float("inf")
    rows = 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        rows = 0
        for line in bot.parse(report):
            if line:
                rows += sum(1 for event in bot.parse_line(line, report) if event)
        best = min(best, time.perf_counter() - started)
    print(json.dumps({"rows": rows, "seconds": best, "version": intelmq.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
