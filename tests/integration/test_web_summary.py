"""The dashboard's and statistics' kept counts equal a direct count of the rows, on SQLite and
PostgreSQL, after ingest, reclassify (both ways), state changes, merge, unmerge and replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paths import EXAMPLES

from abusebox.core.config import Settings
from abusebox.desk.reclassify import reclassify
from abusebox.incidents import handling, lifecycle
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.sources.local import iter_path
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store import reporting
from abusebox.store.db import Database

_SINCE = datetime(2000, 1, 1, tzinfo=UTC)


def _same(db: Database) -> None:
    with db.session() as session:
        assert reporting.state_counts(session) == reporting.direct_state_counts(session)
        assert reporting.verdict_counts(session) == reporting.direct_verdict_counts(session)
        assert reporting.message_status_counts(session) == reporting.direct_message_status_counts(session)
        assert sorted(reporting.reports_per_day(session, _SINCE)) == sorted(
            reporting.direct_reports_per_day(session, _SINCE)
        )
        assert reporting.reports_per_month(session) == reporting.direct_reports_per_month(session)
        assert sorted(reporting.incidents_per_month(session)) == sorted(
            reporting.direct_incidents_per_month(session)
        )
    with db.session() as session:  # and after the deltas are folded in
        assert reporting.fold(session) >= 0
    with db.session() as session:
        assert reporting.state_counts(session) == reporting.direct_state_counts(session)
        assert reporting.verdict_counts(session) == reporting.direct_verdict_counts(session)
        assert reporting.reports_per_month(session) == reporting.direct_reports_per_month(session)
        assert sorted(reporting.incidents_per_month(session)) == sorted(
            reporting.direct_incidents_per_month(session)
        )


def test_kept_counts_follow_every_change(settings: Settings, db: Database) -> None:
    with AnalyzerPool(settings) as pool:
        pipeline = Pipeline(settings, db, pool)
        list(pipeline.ingest(iter_path(EXAMPLES, "examples")))
        _same(db)
        with db.session() as session:
            counts = reporting.verdict_counts(session)
            assert counts.get("report", 0) >= 3 and sum(counts.values()) >= 5
            reports = [m for m in message_store.list_messages(session, limit=500) if m.verdict == "report"]
            others = [m for m in message_store.list_messages(session, limit=500) if m.verdict != "report"]
        # A report becomes spam (its observations leave), a spam message becomes a report.
        with db.session() as session:
            reclassify(session, pipeline, reports[0].pk, "spam", "hana", "not ours")
        _same(db)
        with db.session() as session:
            reclassify(session, pipeline, others[0].pk, "report", "hana", "it is one")
        _same(db)
        with db.session() as session:
            live = [i.pk for i in incident_store.list_incidents(session)]
        assert len(live) >= 3
        lifecycle.set_state(db, live[0], "triage", "hana")
        handling.merge(db, live[1], [live[2]], "hana")
        _same(db)
        handling.unmerge(db, live[2], "hana")
        _same(db)
        list(pipeline.replay([reports[1].pk, others[0].pk]))
        _same(db)
    with db.session() as session:
        # Nothing double counted: a fold then a read gives the direct numbers again, and a
        # day outside the window is not in the last 30 days.
        recent = reporting.reports_per_day(session, datetime.now(UTC) + timedelta(days=1))
        assert recent == []


def test_kept_counts_survive_a_downgrade_of_later_migrations(settings: Settings, db: Database) -> None:
    """A later migration's downgrade must not rebuild a counted table: on SQLite a table copy
    drops its triggers, and the kept counts would silently stop following the rows."""
    db.downgrade("0007")
    db.upgrade()
    with AnalyzerPool(settings) as pool:
        list(Pipeline(settings, db, pool).ingest(iter_path(EXAMPLES, "examples")))
    with db.session() as session:
        assert sum(reporting.state_counts(session).values()) > 0
    _same(db)
