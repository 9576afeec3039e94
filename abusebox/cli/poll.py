"""`abusebox poll --once [--source NAME]`: one poll cycle of the configured sources."""

from __future__ import annotations

import argparse
import logging

from abusebox.cli.common import err, open_db
from abusebox.core.config import ConfigError, SourceSettings

log = logging.getLogger(__name__)
EX_TEMPFAIL = 75  # a source or the database was unreachable: nothing lost, run again


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("poll", parents=[common], help="poll the configured sources once")
    p.add_argument(
        "--once", action="store_true", help="one cycle, then exit (the only mode; `run` polls forever)"
    )
    p.add_argument("--source", metavar="NAME", help="only this source (even if disabled)")
    p.set_defaults(func=cmd_poll)


def _sources(args: argparse.Namespace) -> list[SourceSettings]:
    if args.source:
        try:
            return [args.settings.source(args.source)]
        except KeyError:
            raise ConfigError(f"no source named {args.source!r} in the config") from None
    return [s for s in args.settings.sources if s.enabled]


def cmd_poll(args: argparse.Namespace) -> int:
    from imapclient.exceptions import IMAPClientError
    from sqlalchemy.exc import OperationalError

    from abusebox.core.errors import TransientError
    from abusebox.pipeline.counts import Counts
    from abusebox.runtime.service import Worker

    sources = _sources(args)
    if not sources:
        err("no enabled sources configured: nothing to poll")
        return 1
    db = open_db(args.settings)
    worker = Worker(args.settings, db)
    try:
        if not worker.leader.try_acquire():
            err(
                f"not polling: a running abusebox worker is the scheduler leader ({worker.leader.describe()})"
            )
            return EX_TEMPFAIL
        worker.is_leader = True
        total = Counts()
        failed = 0
        for source in sources:
            try:
                counts = worker.poll_source(source)
            except (TransientError, OperationalError, ConfigError, IMAPClientError) as exc:
                failed += 1
                err(f"source {source.name}: {exc}")
                continue
            total.merge(counts)
            if counts.problem():
                failed += 1
                err(f"source {source.name}: {counts.problem()}")
            if len(sources) > 1:
                print(f"{source.name}: {counts.poll_summary()}")
        print(total.poll_summary())
    finally:
        worker.close()
    return EX_TEMPFAIL if failed else 0
