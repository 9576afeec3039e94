"""The `abusebox` command line: one module per command group, registered here."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from abusebox.cli import db as db_cmd
from abusebox.cli import (
    digest,
    draft,
    enrich,
    forward,
    incidents,
    ingest,
    keys,
    messages,
    outbox,
    parse,
    poll,
    run,
    serve,
    status,
    users,
)
from abusebox.cli.common import err, load_config
from abusebox.core.config import ConfigError, Settings
from abusebox.core.config_file import find_config

COMMAND_GROUPS = (
    db_cmd,
    ingest,
    parse,
    messages,
    incidents,
    draft,
    outbox,
    forward,
    digest,
    enrich,
    keys,
    run,
    poll,
    status,
    serve,
    users,
)


def build_parser() -> argparse.ArgumentParser:
    # SUPPRESS: an option given before the command is not reset by the command's own
    # default (`abusebox --config X poll` and `abusebox poll --config X` both work).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="config file (default: ./abusebox.toml, then $ABUSEBOX_CONFIG)",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log debug details"
    )
    parser = argparse.ArgumentParser(
        prog="abusebox",
        description="Abuse-mailbox processing: evidence, PGP, triage, extraction and incidents.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub, common)
    return parser


def load(args: argparse.Namespace) -> Settings:
    path = find_config(args.config)
    if path is None:
        return Settings()
    if getattr(args, "creates_config", False) and (not path.exists() or getattr(args, "force", False)):
        return Settings(path=str(path))  # init writes it (--force: even over a broken one)
    return load_config(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.config = getattr(args, "config", None)
    args.verbose = getattr(args, "verbose", False)
    quiet_default = logging.INFO if getattr(args, "long_running", False) else logging.WARNING
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else quiet_default,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        args.settings = load(args)
        return int(args.func(args) or 0)
    except ConfigError as exc:
        err(str(exc))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
