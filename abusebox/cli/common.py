"""Helpers shared by the command modules: opening the database, exit codes."""

from __future__ import annotations

import sys

from sqlalchemy.exc import OperationalError

from abusebox.config import ConfigError, Settings
from abusebox.store.db import Database


def open_db(settings: Settings, *, require_schema: bool = True) -> Database:
    """Open the configured database; refuse one whose schema is missing or old."""
    db = Database(settings.database_url(), echo=settings.database.echo)
    if require_schema:
        try:
            current = db.current_revision()
        except OperationalError as exc:
            raise ConfigError(f"database {settings.database_url()}: cannot connect: {exc.orig}") from None
        head = schema_head()
        if current is None:
            raise ConfigError("database has no schema: run `abusebox init` or `abusebox db upgrade`")
        if current != head:
            raise ConfigError(
                f"database schema is at {current}, code expects {head}: run `abusebox db upgrade`"
            )
    return db


def schema_head() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from abusebox.store.db import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def err(message: str) -> None:
    print(f"abusebox: {message}", file=sys.stderr)
