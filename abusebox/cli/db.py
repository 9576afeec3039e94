"""`abusebox init` and `abusebox db upgrade|current`."""

from __future__ import annotations

import argparse
from pathlib import Path

from abusebox.cli.common import database_errors, err, load_config, open_db, schema_head, shown_url
from abusebox.core.config import Settings
from abusebox.core.config_file import DEFAULT_CONFIG_NAME, find_config
from abusebox.core.resources import EXAMPLE_CONFIG


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    init = sub.add_parser("init", parents=[common], help="write a starter config and create the database")
    init.add_argument("--force", action="store_true", help="overwrite an existing config file")
    init.set_defaults(func=cmd_init, creates_config=True)

    db = sub.add_parser("db", parents=[common], help="database schema (Alembic migrations)")
    dbsub = db.add_subparsers(dest="db_command", required=True, metavar="SUBCOMMAND")
    up = dbsub.add_parser("upgrade", parents=[common], help="create or upgrade the schema to the latest")
    up.set_defaults(func=cmd_upgrade)
    cur = dbsub.add_parser("current", parents=[common], help="print the schema revision")
    cur.set_defaults(func=cmd_current)


def cmd_init(args: argparse.Namespace) -> int:
    # The config every other command would read: --config, ./abusebox.toml, $ABUSEBOX_CONFIG.
    path = find_config(args.config) or Path(DEFAULT_CONFIG_NAME)
    if path.exists() and not args.force:
        print(f"{path}: exists, kept (use --force to overwrite)")
    else:
        if not EXAMPLE_CONFIG.exists():
            err(f"starter config {EXAMPLE_CONFIG} not found (a broken install: reinstall abusebox)")
            return 1
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
        except OSError as exc:
            err(f"{path}: cannot write: {exc.strerror}")
            return 1
        print(f"{path}: written")
    return _upgrade(load_config(path))


def _upgrade(settings: Settings) -> int:
    db = open_db(settings, require_schema=False)
    with database_errors(settings):
        db.upgrade()
        revision = db.current_revision()
    print(f"database {shown_url(settings.database_url())}: schema at {revision}")
    return 0


def cmd_upgrade(args: argparse.Namespace) -> int:
    return _upgrade(args.settings)


def cmd_current(args: argparse.Namespace) -> int:
    db = open_db(args.settings, require_schema=False)
    with database_errors(args.settings):
        revision = db.current_revision()
    print(f"current {revision}, head {schema_head()}")
    return 0
