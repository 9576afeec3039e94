"""Engine set-up without a database server: SQLite pragmas, a PostgreSQL server that never answers."""

from __future__ import annotations

import pytest

from abusebox.store.db import Database


def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_a_postgresql_server_that_never_answers_fails_within_the_connect_timeout() -> None:
    import socket
    import time

    from sqlalchemy.exc import OperationalError

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel accepts the TCP connection; nobody ever speaks
    try:
        port = silent.getsockname()[1]
        db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{port}/test", connect_timeout=2)
        started = time.monotonic()
        with pytest.raises(OperationalError):
            db.current_revision()
        assert time.monotonic() - started < 10
        db.dispose()
    finally:
        silent.close()
