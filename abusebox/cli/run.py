"""`abusebox run`: the long-running worker."""

from __future__ import annotations

import argparse

from abusebox.cli.common import open_db
from abusebox.runtime.jobs import register_housekeeping
from abusebox.runtime.service import Worker
from abusebox.web.server import BackgroundServer


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("run", parents=[common], help="run the worker: poll every source until stopped")
    p.set_defaults(func=cmd_run, long_running=True)


def cmd_run(args: argparse.Namespace) -> int:
    db = open_db(args.settings)
    worker = Worker(args.settings, db)
    register_housekeeping(worker, args.settings, db)
    worker.install_signal_handlers()
    web = BackgroundServer(args.settings, db) if args.settings.web.enabled else None
    if web is not None:
        web.start()
    try:
        worker.run_forever()
    finally:
        if web is not None:
            web.stop()
    return 0
