"""Reasons in the store on both databases: round trip, stored form, and migration 0004."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from paths import DATA as TEST_DATA
from sqlalchemy import inspect, text

from abusebox.core.config import Settings
from abusebox.core.models import RawMessage
from abusebox.core.reasons import Reason
from abusebox.desk.reclassify import reclassify
from abusebox.pipeline.analyze import analyze
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store import decisions
from abusebox.store import messages as message_store
from abusebox.store import reports as report_store
from abusebox.store.db import Database

TRIAGE = TEST_DATA / "triage"


def store_raw(db: Database, message: RawMessage) -> int:
    with db.session() as session:
        return message_store.store_raw(session, message).pk


def report_reasons(db: Database, pk: int) -> list[Reason]:
    with db.session() as session:
        return message_store.report_reasons(session, pk)


TRIAGE_REASONS = [
    Reason("triage", "verdict", None, "spam: score +6.5 reaches the spam threshold 5"),
    Reason("triage", "spam_vocabulary", 4.25, 'spam vocabulary: 副業, 高収入 "quoted" [brackets]'),
    Reason("triage", "known_feed", -1.0, "a line\nwith a newline"),
    Reason("triage", "bulk", 0.0, "Precedence: bulk"),
]
EXTRACTION_REASONS = [
    Reason("parse", "archive", None, "archive a.zip: not a readable zip (bad), skipped"),
    Reason(
        "extract",
        "csv",
        None,
        "table t.csv: unreadable after row 3",
        detail="Traceback (most recent call last):\n  ...",
    ),
]


def _decode(value: object) -> object:
    """A JSON column as the driver gives it: text on SQLite, decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def _stored_json(db: Database, pk: int) -> tuple[object, object, str | None]:
    with db.engine.connect() as conn:
        row = conn.execute(
            text("select reasons, extraction_reasons, triage_verdict from reports where message_pk = :m"),
            {"m": pk},
        ).one()
    return _decode(row[0]), _decode(row[1]), row[2]


def test_reasons_round_trip_through_the_store(db: Database) -> None:
    raw = (TRIAGE / "spam_with_address.eml").read_bytes()
    stored_pk = store_raw(db, RawMessage(raw, "t", "1"))
    analysis = analyze(raw, Settings())
    analysis = replace(
        analysis,
        triage=replace(analysis.triage, reasons=TRIAGE_REASONS),
        extraction=replace(analysis.extraction, reasons=EXTRACTION_REASONS),
    )
    with db.session() as session:
        report_store.insert_reports(session, [(stored_pk, analysis)])
    assert report_reasons(db, stored_pk) == [*TRIAGE_REASONS, *EXTRACTION_REASONS]
    with db.session() as session:
        reasons, _category, said = decisions.stored_decision(session, stored_pk) or ([], None, None)
    assert reasons == TRIAGE_REASONS and said == analysis.triage.verdict
    # The stored form is a list of objects, readable without abusebox.
    triage_json, extraction_json, _ = _stored_json(db, stored_pk)
    assert triage_json == [r.to_json() for r in TRIAGE_REASONS]
    assert extraction_json[1] == {  # type: ignore[index]
        "stage": "extract",
        "rule": "csv",
        "score": None,
        "text": "table t.csv: unreadable after row 3",
        "detail": "Traceback (most recent call last):\n  ...",
    }


# Rows as the code before migration 0004 wrote them: display strings, no triage_verdict.
OLD_DESK = [
    "desk decision by alice: report (triage said spam)",
    "spam: score +6.5 reaches the spam threshold 5",
    "spam vocabulary: 副業 [spam_vocabulary +4.2]",
    "sender example.org is a known report feed (x) [known_feed -1.0]",
    "Precedence: bulk [bulk ±0]",
    "a reason from before rules were named",
]
OLD_EXTRACTION = [
    "archive a.zip: not a readable zip (bad), skipped",
    "part big.log: 5000 bytes decoded exceeds 1000",
    "times without a zone read in UTC, as the report states",
]
OLD_TRIAGE = ["non-incident: score +3.0 reaches the non-incident threshold 3", "lure [billing_fraud +3.0]"]


def _old_report(
    db: Database, label: str, verdict: str, by: str, reasons: list[str], extraction: list[str]
) -> int:
    stored_pk = store_raw(db, RawMessage(f"From: a@example.org\n\n{label}\n".encode(), "t", label))
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "insert into reports (message_pk, verdict, category, format, spam_score, reasons,"
                " extraction_reasons, pgp_status, pgp_encrypted, pgp_detail, verdict_by, created_at,"
                " updated_at) values"
                " (:m, :v, 'fraud', 'freeform', 6.5, :r, :e, 'none', false, '{}', :by, :t, :t)"
            ),
            {
                "m": stored_pk,
                "v": verdict,
                "r": json.dumps(reasons),
                "e": json.dumps(extraction),
                "by": by,
                "t": datetime(2026, 1, 1, tzinfo=UTC),
            },
        )
    return stored_pk


def test_migration_converts_stored_strings_and_downgrade_restores_them(db_url: str) -> None:
    db = Database(db_url)
    db.upgrade("0003")
    desk = _old_report(db, "desk", "report", "alice", OLD_DESK, OLD_EXTRACTION)
    plain = _old_report(db, "plain", "non_incident", "triage", OLD_TRIAGE, [])
    unreadable = _old_report(db, "unreadable", "spam", "triage", [], [])
    db.upgrade()

    reasons = report_reasons(db, desk)
    # What the desk sees does not change ...
    assert [str(r) for r in reasons] == [*OLD_DESK, *OLD_EXTRACTION]
    # ... but each line is now a typed value.
    assert reasons[:6] == [
        Reason("desk", None, None, OLD_DESK[0]),
        Reason("triage", "verdict", None, OLD_DESK[1]),
        Reason("triage", "spam_vocabulary", 4.2, "spam vocabulary: 副業"),
        Reason("triage", "known_feed", -1.0, "sender example.org is a known report feed (x)"),
        Reason("triage", "bulk", 0.0, "Precedence: bulk"),
        Reason("triage", None, None, "a reason from before rules were named"),
    ]
    assert [(r.stage, r.rule) for r in reasons[6:]] == [
        ("parse", "archive"),
        ("parse", "mime"),
        ("extract", None),
    ]
    assert _stored_json(db, desk)[2] == "spam"  # triage's verdict, read from the summary once
    assert _stored_json(db, plain)[2] == "non_incident"
    assert _stored_json(db, unreadable)[2] == "spam"  # no summary: triage decided, so its verdict

    down = Database(db_url)
    down.downgrade("0003")
    assert _stored_json_old(down, desk) == (OLD_DESK, OLD_EXTRACTION)
    assert _stored_json_old(down, plain) == (OLD_TRIAGE, [])
    down.upgrade()
    assert [str(r) for r in report_reasons(down, desk)] == [*OLD_DESK, *OLD_EXTRACTION]
    down.dispose()
    db.dispose()


def _stored_json_old(db: Database, pk: int) -> tuple[object, object]:
    """The reasons of a report at revision 0003 (no triage_verdict column)."""
    assert "triage_verdict" not in {c["name"] for c in inspect(db.engine).get_columns("reports")}
    with db.engine.connect() as conn:
        row = conn.execute(
            text("select reasons, extraction_reasons from reports where message_pk = :m"), {"m": pk}
        ).one()
    return _decode(row[0]), _decode(row[1])


def test_a_desk_decision_on_a_migrated_report_uses_the_recorded_triage_verdict(
    db_url: str, settings: Settings
) -> None:
    db = Database(db_url)
    db.upgrade("0003")
    pk = _old_report(db, "desk", "report", "alice", OLD_DESK, OLD_EXTRACTION)
    db.upgrade()
    with AnalyzerPool(settings, processes=1) as pool, db.session() as session:
        result = reclassify(session, Pipeline(settings, db, pool), pk, "spam", "bob")  # no rerun
    assert result.outcome == "processed"
    reasons = report_reasons(db, pk)
    assert reasons[0] == Reason("desk", None, None, "desk decision by bob: spam (triage said spam)")
    assert [str(r) for r in reasons[1:]] == [*OLD_DESK[1:], *OLD_EXTRACTION]  # alice's line is replaced
    with db.session() as session:
        (summary,) = [m for m in message_store.list_messages(session, verdict="spam") if m.pk == pk]
    assert summary.category == "fraud"  # triage had said spam too: its category stays
    db.dispose()
