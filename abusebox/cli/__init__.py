"""The `abusebox` command line: one module per command group, registered here."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from abusebox.cli import db as db_cmd
from abusebox.cli import incidents, ingest, keys, messages, parse, run
from abusebox.config import ConfigError, Settings, find_config, load_settings

COMMAND_GROUPS = (db_cmd, ingest, parse, messages, incidents, keys, run)


def _common_options(defaults: bool) -> argparse.ArgumentParser:
    """--config and -v, accepted before and after the command name.

    The command's copy must not have defaults: argparse would let them overwrite what
    was given before the command (``abusebox --config x.toml ingest`` silently used
    ./abusebox.toml).
    """
    common = argparse.ArgumentParser(add_help=False)
    keep = {} if defaults else {"default": argparse.SUPPRESS}
    common.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: ./abusebox.toml, then $ABUSEBOX_CONFIG)",
        **keep,
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log debug details", **keep)
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(defaults=False)
    parser = argparse.ArgumentParser(
        prog="abusebox",
        description="Abuse-mailbox processing: evidence, PGP, triage, extraction and incidents.",
        parents=[_common_options(defaults=True)],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub, common)
    return parser


def load(args: argparse.Namespace) -> Settings:
    path = find_config(args.config)
    if path is None:
        return Settings()
    if not path.exists() and getattr(args, "creates_config", False):
        return Settings(path=str(path))
    return load_settings(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
        print(f"abusebox: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
