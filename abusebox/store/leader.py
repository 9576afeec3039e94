"""Scheduler leadership: exactly one `abusebox run` per database polls and runs periodic jobs.

PostgreSQL: a session advisory lock on a dedicated connection held for the worker's
life; the server releases it when that session ends, however the process died.
SQLite: an exclusive, non-blocking `flock` on a lock file next to the database; the
kernel releases it when the process exits. A lock is keyed on the database (and, on
PostgreSQL, the schema), so separate deployments sharing a server do not meet.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from abusebox.store.db import Database

log = logging.getLogger(__name__)

ADVISORY_CLASS = 0x0AB05E  # first key of the two-key advisory lock: "abusebox"


class LeaderLock(Protocol):
    def try_acquire(self) -> bool:
        """Take the lock if free; True when this process holds it (now or already)."""
        ...

    def held(self) -> bool:
        """Still ours? (False once the PostgreSQL session behind it has gone.)"""
        ...

    def release(self) -> None: ...

    def describe(self) -> str: ...


class PgAdvisoryLock:
    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self._conn: Connection | None = None

    # Second key: the lock name mixed with the schema, so that test schemas (or two
    # deployments in one database under different schemas) have separate leaders.
    _KEY = "(:cls, hashtext(current_schema() || ':' || :name))"

    def _params(self) -> dict[str, object]:
        return {"cls": ADVISORY_CLASS, "name": self.name}

    def try_acquire(self) -> bool:
        if self._conn is not None and self.held():
            return True
        self._close()
        conn = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(text(f"SELECT pg_try_advisory_lock{self._KEY}"), self._params()).scalar_one()
        except DBAPIError:
            conn.close()
            raise
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except DBAPIError:
            log.warning("the database session holding the scheduler lock is gone")
            self._close()
            return False

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(DBAPIError):
                self._conn.execute(text(f"SELECT pg_advisory_unlock{self._KEY}"), self._params())
        self._close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(DBAPIError):
                conn.close()

    def describe(self) -> str:
        return f"PostgreSQL advisory lock {self.name}"


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for a curious admin
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def describe(self) -> str:
        return f"lock file {self.path}"


class ProcessLocal:
    """An in-memory SQLite database belongs to one process: it leads by definition."""

    def try_acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        return None

    def describe(self) -> str:
        return "in-memory database"


def leader_lock(db: Database, name: str = "scheduler") -> LeaderLock:
    if db.dialect == "postgresql":
        return PgAdvisoryLock(db, name)
    database = db.engine.url.database
    if db.dialect == "sqlite" and database and database != ":memory:":
        return FileLock(Path(f"{database}.{name}.lock"))
    return ProcessLocal()


__all__ = ["FileLock", "LeaderLock", "PgAdvisoryLock", "leader_lock"]
