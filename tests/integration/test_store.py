from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select

from abusebox.core.models import RawMessage
from abusebox.store import messages as message_store
from abusebox.store.db import Database
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
