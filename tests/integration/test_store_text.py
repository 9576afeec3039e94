"""Text no database column can hold (NUL for PostgreSQL, lone surrogates for both) is stored
with U+FFFD instead of failing the message; the raw bytes stay the evidence."""

from __future__ import annotations

from abusebox.core.models import RawMessage
from abusebox.store import messages as message_store
from abusebox.store.db import Database


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
