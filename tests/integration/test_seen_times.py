"""An incident's first/last seen come from observed times only; a range's end counts.

A time-less observation has no time: it must not make its report's arrival a time seen,
yet grouping still windows it by that arrival. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from incident_helpers import add_report
from sqlalchemy import select

from abusebox.cli import main
from abusebox.core.config import Settings
from abusebox.core.models import Observation
from abusebox.desk.incidents import detail_json
from abusebox.incidents.grouping import Grouper
from abusebox.incidents.lifecycle import auto_resolve
from abusebox.outbox.drafts import context
from abusebox.store.db import Database
from abusebox.store.incidents import get_incident, recount
from abusebox.store.queue import query_incidents
from abusebox.store.reports import drop_reports
from abusebox.store.schema import IncidentRow, ObservationRow

ARRIVED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SEEN = datetime(2026, 11, 19, 1, 20, 30, tzinfo=UTC)


def _timeless(ip: str = "192.0.2.7") -> Observation:
    return Observation(ip=ip, time=None, category="scan")


def _group(db: Database, observations: list[Observation], received: datetime) -> list[int]:
    grouper = Grouper(Settings())
    with db.session() as session:
        stored = add_report(session, observations, received=received)
        return grouper.group_report(session, stored, "scan")


def _incidents(db: Database) -> list[IncidentRow]:
    with db.session() as session:
        rows = list(session.scalars(select(IncidentRow).order_by(IncidentRow.id)))
        session.expunge_all()
        return rows


def test_a_timeless_observation_leaves_first_and_last_seen_empty(db: Database) -> None:
    _group(db, [_timeless()], ARRIVED)
    (row,) = _incidents(db)
    assert row.first_seen is None and row.last_seen is None
    assert row.window_start == ARRIVED and row.window_end == ARRIVED  # for grouping only
    with db.session() as session:
        detail = get_incident(session, row.id)
        assert detail is not None
        data = detail_json(detail)
    assert data["first_seen"] is None and data["last_seen"] is None
    assert data["observations"][0]["time"] is None and data["observations"][0]["time_end"] is None


def test_a_later_timeless_report_joins_without_moving_last_seen(db: Database) -> None:
    _group(db, [Observation(ip="192.0.2.7", time=SEEN, category="scan")], SEEN + timedelta(hours=2))
    _group(db, [_timeless()], SEEN + timedelta(days=3))
    (row,) = _incidents(db)
    assert (row.report_count, row.observation_count) == (2, 2)
    assert row.first_seen == SEEN and row.last_seen == SEEN
    assert row.window_end == SEEN + timedelta(days=3)


def test_timeless_reports_are_still_windowed_by_their_arrival(db: Database) -> None:
    _group(db, [_timeless()], ARRIVED)
    _group(db, [_timeless()], ARRIVED + timedelta(days=3))  # inside the 7-day window: same
    _group(db, [_timeless()], ARRIVED + timedelta(days=30))  # far later: a new incident
    rows = _incidents(db)
    assert [r.report_count for r in rows] == [2, 1]
    assert all(r.first_seen is None and r.last_seen is None for r in rows)


def test_a_timed_report_gives_a_timeless_incident_its_times(db: Database) -> None:
    _group(db, [_timeless()], ARRIVED)
    start, end = ARRIVED - timedelta(hours=5), ARRIVED - timedelta(hours=4, minutes=35)
    _group(db, [Observation(ip="192.0.2.7", time=start, category="scan", time_end=end)], ARRIVED)
    (row,) = _incidents(db)
    assert row.first_seen == start and row.last_seen == end  # the range's end is observed


def test_a_range_end_is_stored_and_counts_as_last_seen(db: Database) -> None:
    end = SEEN + timedelta(minutes=25)
    _group(db, [Observation(ip="192.0.2.8", time=SEEN, category="scan", time_end=end)], ARRIVED)
    (row,) = _incidents(db)
    assert row.first_seen == SEEN and row.last_seen == end
    with db.session() as session:
        assert session.scalar(select(ObservationRow.time_end)) == end
        detail = get_incident(session, row.id)
        assert detail is not None
        data = detail_json(detail)
        period = context(detail, Settings(), "UTC")
    assert data["observations"][0]["time_end"] == "2026-11-19T01:45:30Z"
    assert (period["first_seen"], period["last_seen"]) == ("2026-11-19T01:20:30Z", "2026-11-19T01:45:30Z")


def test_recount_after_losing_the_timed_report_empties_the_times(db: Database) -> None:
    _group(db, [Observation(ip="192.0.2.7", time=SEEN, category="scan")], SEEN)
    _group(db, [_timeless()], SEEN + timedelta(days=1))
    (row,) = _incidents(db)
    with db.session() as session:
        timed_report = session.scalar(
            select(ObservationRow.report_pk).where(ObservationRow.time.is_not(None))
        )
        assert timed_report is not None
        drop_reports(session, [timed_report])
        recount(session, row.id)
    (row,) = _incidents(db)
    assert row.observation_count == 1
    assert row.first_seen is None and row.last_seen is None
    assert row.window_start == row.window_end == SEEN + timedelta(days=1)


def test_the_queue_sorts_undated_incidents_last_on_both_databases(db: Database) -> None:
    _group(db, [_timeless("192.0.2.1")], ARRIVED)
    _group(db, [Observation(ip="192.0.2.2", time=SEEN, category="scan")], ARRIVED)
    _group(db, [Observation(ip="192.0.2.3", time=SEEN - timedelta(days=1), category="scan")], ARRIVED)
    with db.session() as session:
        newest = [i.group_key for i in query_incidents(session, sort="last_seen").incidents]
        oldest = [i.group_key for i in query_incidents(session, sort="first_seen").incidents]
    assert newest == ["192.0.2.2", "192.0.2.3", "192.0.2.1"]
    assert oldest == ["192.0.2.3", "192.0.2.2", "192.0.2.1"]


def test_auto_resolve_takes_a_quiet_timeless_incident(db: Database) -> None:
    _group(db, [_timeless()], ARRIVED)
    (row,) = _incidents(db)
    assert auto_resolve(Settings(), db, now=datetime.now(UTC) + timedelta(days=400)) == [row.id]


def test_migration_0008_keeps_the_old_span_as_window_and_recomputes_seen(db: Database) -> None:
    """Incidents stored before 0008 had a time-less report's arrival as first/last seen."""
    _group(db, [_timeless("192.0.2.20")], ARRIVED)
    _group(db, [Observation(ip="192.0.2.21", time=SEEN, category="scan")], ARRIVED)
    with db.session() as session:  # what the old code wrote: arrivals as seen, no window
        for row in session.scalars(select(IncidentRow)):
            row.first_seen = SEEN - timedelta(days=1)
            row.last_seen = ARRIVED
            row.window_start = row.window_end = None
    db.downgrade("0007")
    db.upgrade()
    timeless, timed = _incidents(db)
    assert (timeless.first_seen, timeless.last_seen) == (None, None)
    assert (timed.first_seen, timed.last_seen) == (SEEN, SEEN)
    for row in (timeless, timed):
        assert (row.window_start, row.window_end) == (SEEN - timedelta(days=1), ARRIVED)


def test_cli_shows_a_range_and_an_undated_incident(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    end = SEEN + timedelta(minutes=25)
    _group(db, [Observation(ip="192.0.2.30", time=SEEN, category="scan", time_end=end)], ARRIVED)
    _group(db, [_timeless("192.0.2.31")], ARRIVED)
    cfg = tmp_path / "abusebox.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n\n[enrichment]\noffline = true\n')
    assert main(["incidents", "list", "--config", str(cfg), "--json"]) == 0
    listed = {i["key"]: i for i in json.loads(capsys.readouterr().out)}
    assert (listed["192.0.2.30"]["first_seen"], listed["192.0.2.30"]["last_seen"]) == (
        "2026-11-19T01:20:30Z",
        "2026-11-19T01:45:30Z",
    )
    assert (listed["192.0.2.31"]["first_seen"], listed["192.0.2.31"]["last_seen"]) == (None, None)
    ranged = str(listed["192.0.2.30"]["id"])
    assert main(["incidents", "show", "--config", str(cfg), ranged, "--json"]) == 0
    (observation,) = json.loads(capsys.readouterr().out)["observations"]
    assert (observation["time"], observation["time_end"]) == ("2026-11-19T01:20:30Z", "2026-11-19T01:45:30Z")
    assert main(["incidents", "show", "--config", str(cfg), ranged]) == 0
    assert "2026-11-19 01:20:30 to 2026-11-19 01:45:30" in capsys.readouterr().out
