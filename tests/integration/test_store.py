from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from abusebox.cli.common import schema_head
from abusebox.core.models import RawMessage
from abusebox.store import messages as message_store
from abusebox.store.base import Base
from abusebox.store.db import SCHEMA_HEAD, Database
from abusebox.store.messages import StoredMessage
from abusebox.store.schema import MessageRow


def store_raw(db: Database, message: RawMessage) -> StoredMessage:
    with db.session() as session:
        return message_store.store_raw(session, message)


def get_raw(db: Database, pk: int) -> bytes:
    with db.session() as session:
        return message_store.get_raw(session, pk)


def test_schema_created_by_alembic_and_upgrade_is_idempotent(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {"messages", "reports", "observations", "incidents", "incident_events", "mailbox_state"} <= tables
    assert db.current_revision() is not None
    db.upgrade()  # a second upgrade is a no-op
    assert db.current_revision() is not None


def _indexes(db: Database) -> dict[str, set[tuple[str | None, tuple[str | None, ...]]]]:
    """Each table's indexes on plain columns (PostgreSQL's expression indexes, made by
    their migrations only, such as ix_observations_inet_incident, are left out)."""
    inspector = inspect(db.engine)
    return {
        table: {
            (ix["name"], tuple(ix["column_names"]))
            for ix in inspector.get_indexes(table)
            if None not in ix["column_names"]
        }
        for table in ("incidents", "observations")
    }


def test_migrated_indexes_are_the_models_and_0010_downgrades(db: Database) -> None:
    """The schema Alembic builds has exactly the indexes the models declare (0010 dropped
    four that no query used), and going back to 0009 brings those four back."""
    declared = {
        table: {(ix.name, tuple(c.name for c in ix.columns)) for ix in Base.metadata.tables[table].indexes}
        for table in ("incidents", "observations")
    }
    assert _indexes(db) == declared
    dropped = {
        ("incidents", "ix_incidents_open_key"),
        ("incidents", "ix_incidents_key_seen"),
        ("incidents", "ix_incidents_state"),
        ("observations", "ix_observations_group"),
    }
    db.downgrade("0009")
    try:
        back = {(t, name) for t, found in _indexes(db).items() for name, _cols in found}
        assert dropped <= back
    finally:
        db.upgrade()
    assert _indexes(db) == declared


def test_raw_stored_once_by_sha256_not_message_id(db: Database) -> None:
    raw = b"Message-ID: <same@x>\nFrom: a@example.org\n\nbody one\n"
    other = b"Message-ID: <same@x>\nFrom: a@example.org\n\nbody two\n"
    first = store_raw(db, RawMessage(raw, "t", "1"))
    again = store_raw(db, RawMessage(raw, "t", "2"))
    second = store_raw(db, RawMessage(other, "t", "3"))
    assert first.is_new and not again.is_new and again.pk == first.pk
    assert second.is_new and second.pk != first.pk  # same Message-ID, different bytes: a new message
    assert get_raw(db, first.pk) == raw


def test_times_round_trip_as_aware_utc(db: Database) -> None:
    stored = store_raw(db, RawMessage(b"From: a@b\n\nx\n", "t", "1"))
    jst = timezone(timedelta(hours=9))
    with db.session() as session:
        message_store.update_headers(session, stored.pk, {"date": datetime(2026, 11, 19, 22, 5, tzinfo=jst)})
    with db.session() as session:
        row = session.scalar(select(MessageRow).where(MessageRow.id == stored.pk))
        assert row is not None
        assert row.date == datetime(2026, 11, 19, 13, 5, tzinfo=UTC)
        assert row.date.tzinfo is not None


def test_naive_datetimes_are_refused(db: Database) -> None:
    stored = store_raw(db, RawMessage(b"From: a@b\n\ny\n", "t", "1"))
    with pytest.raises(Exception, match="naive datetime"), db.session() as session:
        message_store.update_headers(session, stored.pk, {"date": datetime(2026, 1, 1)})


def test_upgrading_keeps_every_row(db_url: str) -> None:
    """Schema upgrades must never lose evidence (SQLite batch migrations recreate tables)."""
    from sqlalchemy import text

    db = Database(db_url)
    db.upgrade("0001")
    stored = store_raw(db, RawMessage(b"From: a@example.org\n\nkept\n", "t", "1"))
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "insert into reports (message_pk, verdict, format, spam_score, reasons, extraction_reasons,"
                " pgp_status, pgp_encrypted, pgp_detail, verdict_by, created_at, updated_at) values"
                " (:m, 'report', 'freeform', 0, '[]', '[]', 'none', false, '{}', 't', :t, :t)"
            ),
            {"m": stored.pk, "t": datetime(2026, 1, 1, tzinfo=UTC)},
        )
    db.upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("select count(*) from messages")).scalar() == 1
        assert conn.execute(text("select count(*) from reports")).scalar() == 1
        if db.dialect == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert get_raw(db, stored.pk) == b"From: a@example.org\n\nkept\n"
    db.dispose()


def test_schema_revision_read_without_alembic_agrees_with_alembic(db: Database, tmp_path: Path) -> None:
    """Commands check the schema on start by reading alembic_version directly; the code's
    SCHEMA_HEAD is the newest migration Alembic finds in the scripts."""
    assert schema_head() == SCHEMA_HEAD
    assert db.schema_revision() == db.current_revision() == SCHEMA_HEAD
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    assert empty.schema_revision() is None and empty.current_revision() is None
    empty.dispose()
    db.downgrade("0009")
    try:
        assert db.schema_revision() == db.current_revision() == "0009"
    finally:
        db.upgrade()
