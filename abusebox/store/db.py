"""Engines and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL.

The store's functions take the Session they work in; whoever runs a unit of work (a
command, a scheduled job, a request, a pipeline batch) opens it with ``Database.session``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from abusebox.core.resources import MIGRATIONS_DIR

# Bound parameters per statement, kept well under both engines' limits (SQLite's stock
# 32,766 and PostgreSQL's wire-protocol 65,535): every statement whose size grows with
# what a message holds (addresses, observations, incidents) is cut into chunks of this.
MAX_PARAMETERS = 10_000
# The newest migration (migrations/versions), which the models match; a test checks it
# against Alembic's own reading of the scripts.
SCHEMA_HEAD = "0010"

# What no text column can hold: PostgreSQL refuses NUL in text, and neither backend can
# encode a lone surrogate (what utf-7 or a surrogateescape'd header can leave) as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


# An execution option: the statement's text parameters were made storable by the caller
# (store/bulk.py does it column by column), so the hook below need not look again.
STORABLE_CHECKED = "abusebox_storable_checked"


def storable_all(values: list[Any]) -> list[Any]:
    """``values`` with what no text column can hold replaced in the text ones: one regex
    search over all of their text, and a second pass only when it finds something."""
    texts = [v for v in values if isinstance(v, str)]
    if not texts:
        return values
    joined = "".join(texts)
    # ASCII text (isascii is a flag read) can only hold NUL (a memchr) of what is replaced.
    if "\x00" in joined if joined.isascii() else _UNSTORABLE.search(joined):
        return [_storable(v) for v in values]
    return values


def _storable(value: Any) -> Any:
    if isinstance(value, str) and _UNSTORABLE.search(value):
        return _UNSTORABLE.sub("\ufffd", value)
    return value


def _storable_row(row: Any) -> Any:
    if isinstance(row, Mapping):
        return {k: _storable(v) for k, v in row.items()}
    if isinstance(row, (list, tuple)):
        return type(row)(_storable(v) for v in row)
    return row


def _storable_params(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool
) -> tuple[str, Any]:
    """Replace unstorable characters in text parameters (the raw bytes stay the evidence).

    Text taken from hostile mail (a subject, an evidence line) must not make a message
    fail to store; doing it here covers every text column in one place. With
    "insertmanyvalues" an executemany may still carry one mapping: check the shape.
    """
    if _context is not None and _context.execution_options.get(STORABLE_CHECKED):
        return statement, parameters
    many = executemany and isinstance(parameters, (list, tuple)) and bool(parameters)
    rows = parameters if many and isinstance(parameters[0], (Mapping, list, tuple)) else [parameters]
    if not _any_unstorable(rows):  # the usual case, checked in one pass over the text
        return statement, parameters
    if rows is parameters:
        return statement, [_storable_row(row) for row in parameters]
    return statement, _storable_row(parameters)


def _any_unstorable(rows: Sequence[Any]) -> bool:
    """Does any text parameter of ``rows`` hold what no text column can? One regex search
    over their concatenation (a bulk INSERT of a large feed binds a million values)."""
    texts: list[str] = []
    for row in rows:
        if isinstance(row, Mapping):
            texts.extend([v for v in row.values() if isinstance(v, str)])
        elif isinstance(row, (list, tuple)):
            texts.extend([v for v in row if isinstance(v, str)])
        elif isinstance(row, str):
            texts.append(row)
    return _UNSTORABLE.search("".join(texts)) is not None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, issue BEGIN: needed for SAVEPOINTs to work.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front, so two processes (worker and CLI) wait
    # for each other via busy_timeout instead of failing on a read-to-write upgrade.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


CONNECT_TIMEOUT_SECONDS = 10  # a PostgreSQL server that does not answer fails, not hangs


def make_engine(url: str, *, echo: bool = False, connect_timeout: int = CONNECT_TIMEOUT_SECONDS) -> Engine:
    """Create an engine; for SQLite make the parent directory and set the pragmas."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        # libpq's connect_timeout covers TCP and the start-up exchange (minimum 2 s).
        args = {"connect_timeout": connect_timeout} if url.startswith("postgresql") else {}
        engine = create_engine(url, echo=echo, pool_pre_ping=True, connect_args=args)
    event.listen(engine, "before_cursor_execute", _storable_params, retval=True)
    return engine


def dialect_insert(session: Session, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT, for the dialect this session talks to."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {dialect}")


class Database:
    """An engine plus a session factory; the one handle the store functions get."""

    def __init__(
        self, url: str, *, echo: bool = False, connect_timeout: int = CONNECT_TIMEOUT_SECONDS
    ) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo, connect_timeout=connect_timeout)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def upgrade(self, revision: str = "head") -> None:
        """Create or upgrade the schema with Alembic (the only way the schema changes)."""
        self._migrate("upgrade", revision)

    def downgrade(self, revision: str) -> None:
        """Take the schema back to ``revision`` (each migration's downgrade keeps the rows)."""
        self._migrate("downgrade", revision)

    def _migrate(self, direction: Literal["upgrade", "downgrade"], revision: str) -> None:
        from alembic import command
        from alembic.config import Config

        if not (MIGRATIONS_DIR / "env.py").exists():
            raise RuntimeError(f"Alembic migrations not found at {MIGRATIONS_DIR}")
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        step = command.upgrade if direction == "upgrade" else command.downgrade
        with self.engine.connect() as connection:
            sqlite = self.dialect == "sqlite"
            if sqlite:
                # SQLite's batch migrations copy a table, drop the old one and rename: with
                # foreign keys on, the DROP would cascade-delete every referencing row. The
                # pragma only works outside a transaction, so set it on the raw connection.
                _driver(connection).execute("PRAGMA foreign_keys=OFF")
            try:
                with connection.begin():
                    cfg.attributes["connection"] = connection
                    step(cfg, revision)
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
            finally:
                if sqlite:
                    _driver(connection).execute("PRAGMA foreign_keys=ON")

    def schema_revision(self) -> str | None:
        """The revision the schema is at, read from Alembic's table without importing Alembic
        (every command checks it on start); None when there is no schema."""
        from sqlalchemy import inspect

        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            found = sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        return ",".join(found) or None

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def dispose(self) -> None:
        self.engine.dispose()


def _driver(connection: Connection) -> Any:
    """The DB-API connection under a SQLAlchemy connection (for pragmas outside a transaction)."""
    raw = connection.connection.driver_connection
    if raw is None:
        raise RuntimeError("the database connection is closed")
    return raw


def chunks(items: Sequence[Any], parameters_per_item: int = 1) -> Iterator[Sequence[Any]]:
    """``items`` in slices whose statements stay under MAX_PARAMETERS bound parameters."""
    size = max(1, MAX_PARAMETERS // max(1, parameters_per_item))
    for start in range(0, len(items), size):
        yield items[start : start + size]


# SQLite primary result codes that mean the database, not the statement, is at fault:
# BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL, NOTADB.
_SQLITE_OUTAGE = {5, 6, 7, 8, 10, 11, 13, 14, 15, 26}
# PostgreSQL SQLSTATE classes of the same kind: connection exception, insufficient
# resources, operator intervention, system error, transaction rollback (serialisation,
# deadlock: retried); and lock_not_available.
_PG_OUTAGE_CLASSES = {"08", "40", "53", "57", "58"}


def outage_by_code(exc: DBAPIError) -> bool | None:
    """Does the driver's error code say the database is unavailable (True), or that the
    statement itself failed (False)? None when the driver gives no code to decide by."""
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in _SQLITE_OUTAGE
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str) and state:
        return state[:2] in _PG_OUTAGE_CLASSES or state == "55P03"
    return None


def ping(session: Session) -> None:
    """One trivial round trip: raises when the database does not answer."""
    session.execute(text("SELECT 1"))


def short_error(exc: BaseException, limit: int = 300) -> str:
    """The driver's own message, first line, bounded: never the statement or its parameters."""
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(orig).strip().splitlines() or [""])[0]
    if len(first) > limit:
        first = first[: limit - 1] + "…"
    return f"{type(orig).__name__}: {first}" if first else type(orig).__name__
