"""bulk.execute_rows on SQLite stores exactly what SQLAlchemy's executemany of the statement does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from abusebox.core.models import RawMessage
from abusebox.store import bulk
from abusebox.store import grouping as grouping_store
from abusebox.store import messages as message_store
from abusebox.store.db import Database
from abusebox.store.schema import IncidentRow

JST = timezone(timedelta(hours=9))
EST = timezone(-timedelta(hours=5))
T0 = datetime(2026, 11, 19, 3, 14, 15, tzinfo=UTC)


def _twin(tmp_path: Path, name: str) -> Database:
    db = Database(f"sqlite:///{tmp_path / name}.db")
    db.upgrade()
    with db.session() as session:
        message_store.store_raw_many(
            session, [RawMessage(f"Subject: m{i}\n\nbody {i}\n".encode(), "t", f"t/{i}") for i in range(6)]
        )
        session.add_all(
            IncidentRow(group_key=f"192.0.2.{i}", category="scan", first_seen=T0, last_seen=T0)
            for i in range(4)
        )
    return db


# Set when the twins' rows were made, a moment apart: not what the statements write.
_MADE = {"received_at", "created_at"}


def _all(db: Database, table: str) -> list[dict[str, Any]]:
    with db.session() as session:
        result = session.execute(text(f"SELECT * FROM {table} ORDER BY id"))
        return [{k: v for k, v in row._mapping.items() if k not in _MADE} for row in result]


def _apply(db: Database, statement: Any, rows: list[dict[str, Any]], fast: bool) -> None:
    with db.session() as session:
        if fast:
            bulk.execute_rows(session, statement, rows)
        else:
            session.connection().execute(statement, rows)


MESSAGES = [
    {"b_pk": 1, "b_reason": "triage: report", "b_at": T0, "b_message_id": "<a@b>", "b_from": "a@b",
     "b_subject": "SSH brute force 日本", "b_date": T0.astimezone(JST)},
    {"b_pk": 2, "b_reason": "nul\x00 and \udcff lone", "b_at": T0, "b_message_id": None, "b_from": None,
     "b_subject": "", "b_date": None},
    {"b_pk": 5, "b_reason": None, "b_at": T0 + timedelta(microseconds=5), "b_message_id": "<c@d>",
     "b_from": "x@y", "b_subject": "s", "b_date": datetime(1999, 12, 31, 23, 59, tzinfo=EST)},
]  # fmt: skip


def test_marking_messages_processed_stores_what_sqlalchemy_stores(tmp_path: Path) -> None:
    fast, slow = _twin(tmp_path, "fast"), _twin(tmp_path, "slow")
    _apply(fast, message_store._MARK_PROCESSED, MESSAGES, fast=True)
    _apply(slow, message_store._MARK_PROCESSED, MESSAGES, fast=False)
    stored = _all(fast, "messages")
    assert stored == _all(slow, "messages")
    assert _all(fast, "desk_tally_delta") == _all(slow, "desk_tally_delta")
    assert [r["subject"] for r in stored if r["id"] in (1, 2, 5)] == ["SSH brute force 日本", "", "s"]
    with fast.session() as session:
        assert session.execute(select(text("count(*)")).where(text("status = 'processed'"))
                               .select_from(text("messages"))).scalar_one() == 3  # fmt: skip


def test_changes_to_stored_incidents_store_what_sqlalchemy_stores(tmp_path: Path) -> None:
    rows = [
        {"b_id": i, "b_observations": i, "b_reports": 1, "b_first_seen": T0 - timedelta(hours=i),
         "b_last_seen": (T0 + timedelta(minutes=i)).astimezone(JST), "b_window_start": None,
         "b_window_end": T0 + timedelta(days=1), "b_activity": T0, "b_now": T0}
        for i in (1, 3, 4)
    ]  # fmt: skip
    raised = [{**rows[0], "b_id": 2, "b_priority": "high"}]
    fast, slow = _twin(tmp_path, "fast"), _twin(tmp_path, "slow")
    for db, quick in ((fast, True), (slow, False)):
        _apply(db, grouping_store._UPDATE, rows, fast=quick)
        _apply(db, grouping_store._UPDATE_PRIORITY, raised, fast=quick)
        _apply(db, grouping_store._UPDATE, rows[:1], fast=quick)  # counters add up
    assert _all(fast, "incidents") == _all(slow, "incidents")
    with Session(fast.engine) as session:
        first = session.get(IncidentRow, 1)
        assert first is not None and first.observation_count == 2 and first.report_count == 2
        assert session.get(IncidentRow, 2).priority == "high"  # type: ignore[union-attr]


def test_no_rows_is_no_statement(tmp_path: Path) -> None:
    db = _twin(tmp_path, "empty")
    with db.session() as session:
        bulk.execute_rows(session, message_store._MARK_PROCESSED, [])
    assert all(r["status"] == "new" for r in _all(db, "messages"))
