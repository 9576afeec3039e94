"""Helpers shared by the command modules: opening the database, exit codes.

Every `abusebox` process imports this module, so what only a command that opens the
database needs (SQLAlchemy, Alembic, the store) is imported inside the function using it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from abusebox.cli.output import clean
from abusebox.core.config import ConfigError, Settings
from abusebox.core.config_file import load_settings

if TYPE_CHECKING:
    from abusebox.store.db import Database


def load_config(path: str | Path) -> Settings:
    """Read the config file and check what only the assembled application knows (rule names)."""
    from abusebox.triage import check_rule_names

    settings = load_settings(path)
    check_rule_names(settings)
    return settings


def shown_url(url: str) -> str:
    """The database URL for messages: never the password (it may come from url_env)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an invalid database URL)"


@contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """A database that cannot be reached or created is one line naming it, not a traceback."""
    from sqlalchemy.exc import OperationalError

    try:
        yield
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(
            f"database {shown_url(settings.database_url())}: cannot connect: {reason}"
        ) from None
    except OSError as exc:  # the folder of an SQLite file cannot be made
        raise ConfigError(
            f"database {shown_url(settings.database_url())}: {exc.strerror}: {exc.filename}"
        ) from None


def open_db(settings: Settings, *, require_schema: bool = True) -> Database:
    """Open the configured database; refuse one whose schema is missing or old."""
    from sqlalchemy.exc import ArgumentError

    from abusebox.store.db import SCHEMA_HEAD, Database

    with database_errors(settings):
        try:
            db = Database(settings.database_url(), echo=settings.database.echo)
        except ArgumentError:
            raise ConfigError(
                f"database.url: not a database URL: {shown_url(settings.database_url())}"
            ) from None
        if not require_schema:
            return db
        current = db.schema_revision()
    head = SCHEMA_HEAD
    if current is None:
        raise ConfigError("database has no schema: run `abusebox init` or `abusebox db upgrade`")
    if current != head:
        raise ConfigError(f"database schema is at {current}, code expects {head}: run `abusebox db upgrade`")
    return db


def schema_head() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from abusebox.core.resources import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def err(message: str) -> None:
    """One line on stderr; a file name or reason from hostile input cannot drive the terminal."""
    print(f"abusebox: {clean(message)}", file=sys.stderr)
