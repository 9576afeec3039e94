"""Text no database column can hold (NUL for PostgreSQL, lone surrogates for both) is stored
with U+FFFD instead of failing the message; the raw bytes stay the evidence."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from abusebox.core.models import RawMessage
from abusebox.store import bulk
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store.db import Database
from abusebox.store.schema import IncidentEventRow, IncidentRow


def test_nul_and_lone_surrogates_are_replaced_on_both_backends(db: Database) -> None:
    raw = b"From: a@example.org\r\nSubject: x\r\n\r\nbody\x00\r\n"
    with db.session() as session:
        stored = message_store.store_raw(session, RawMessage(raw, "t", "nul\x00id\udcff"))
    with db.session() as session:
        headers = {"subject": "nul\x00 and \ud800 here", "from_addr": "a@example.org"}
        message_store.mark(session, stored.pk, "processed", reason="reason \x00", headers=headers)
    with db.session() as session:
        summary = message_store.get_message(session, stored.pk)
        assert summary is not None
        assert summary.subject == "nul\ufffd and \ufffd here"
        assert summary.source_id == "nul\ufffdid\ufffd"
        assert summary.status_reason == "reason \ufffd"
        assert message_store.get_raw(session, stored.pk) == raw  # bytes untouched


def test_bulk_rows_replace_unstorable_text_and_keep_json(db: Database) -> None:
    """The bulk path (store/bulk.py) converts column by column: text columns get U+FFFD for
    NUL and lone surrogates whether the rest of the column is ASCII or not; JSON, times and
    numbers are stored as given."""
    when = datetime(2026, 11, 19, 3, 14, 5, 123456, tzinfo=UTC)
    with db.session() as session:
        (first, second) = bulk.reserve_pks(session, IncidentRow.__table__, 2)
        bulk.insert_rows(
            session,
            IncidentRow.__table__,
            [
                {"id": first, "group_key": "203.0.113.5", "category": "ssh\x00", "first_seen": when},
                {"id": second, "group_key": "203.0.113.6", "category": "ssh\ud800日本", "first_seen": None},
            ],
        )
        incident_store.add_events(
            session,
            [
                (first, "system\x00", "created", {"note": "日本語 \u3000", "n": 3}),
                (second, "system", "created", {"note": "plain"}),
            ],
        )
    with db.session() as session:
        rows = {row.id: row for row in session.scalars(select(IncidentRow))}
        assert rows[first].category == "ssh\ufffd" and rows[second].category == "ssh\ufffd日本"
        assert rows[first].first_seen == when and rows[second].first_seen is None
        assert rows[first].abuse_contacts == [] and rows[first].state == "new"
        events = {e.incident_pk: e for e in session.scalars(select(IncidentEventRow))}
        assert events[first].actor == "system\ufffd"
        assert events[first].detail == {"note": "日本語 \u3000", "n": 3}
        assert events[second].detail == {"note": "plain"}
