"""`abusebox run`: the long-running worker (roles: docs/scaleout.md)."""

from __future__ import annotations

import argparse

from abusebox.cli.common import open_db
from abusebox.core.choices import DEFAULT_LEASE_SECONDS, WORKER_ROLES


def _seconds(value: str) -> float:
    seconds = float(value)
    if not 1.0 <= seconds <= 86_400.0:
        raise argparse.ArgumentTypeError("a lease is between 1 and 86400 seconds")
    return seconds


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("run", parents=[common], help="run the worker: poll every source until stopped")
    p.add_argument(
        "--role",
        choices=WORKER_ROLES,
        default="all",
        help="all: lead when possible and analyse (default); leader: poll and run the scheduled "
        "jobs only; worker: analyse stored messages only",
    )
    p.add_argument(
        "--lease-seconds",
        type=_seconds,
        default=DEFAULT_LEASE_SECONDS,
        metavar="S",
        help="how long a claimed message stays this worker's before another may take it "
        f"(default {DEFAULT_LEASE_SECONDS:g})",
    )
    p.set_defaults(func=cmd_run, long_running=True)


def cmd_run(args: argparse.Namespace) -> int:
    from abusebox.runtime.jobs import register_housekeeping
    from abusebox.runtime.service import Worker
    from abusebox.store.leases import Lease
    from abusebox.web.server import BackgroundServer

    db = open_db(args.settings)
    worker = Worker(args.settings, db, role=args.role, lease=Lease(args.lease_seconds))
    register_housekeeping(worker, args.settings, db)
    worker.install_signal_handlers()
    web = None
    if args.settings.web.enabled and args.role != "worker":  # workers serve no pages
        web = BackgroundServer(args.settings, db)
        web.start()
    try:
        worker.run_forever()
    finally:
        if web is not None:
            web.stop()
    return 0
