"""The bulk commit of a batch: same result as one message at a time, cheap, and careful on errors."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from incident_helpers import add_report
from paths import EXAMPLES
from sqlalchemy import delete, event, select, update

from abusebox.core.config import Settings
from abusebox.core.models import Observation, RawMessage
from abusebox.incidents.grouping import Grouper
from abusebox.pipeline import commit
from abusebox.pipeline import ingest as pipeline
from abusebox.pipeline.counts import Counts
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.sources.local import iter_path
from abusebox.store import incidents as incident_store
from abusebox.store import reports as report_store
from abusebox.store.db import Database
from abusebox.store.reports import StoredObservation
from abusebox.store.schema import (
    EnrichmentQueueRow,
    IncidentEventRow,
    IncidentRow,
    MessageRow,
    ObservationRow,
    ReportRow,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


def scenario(seed: int) -> list[list[Observation]]:
    """60 small reports over few sources, out of time order: runs, bridges, reopenings."""
    rng = random.Random(seed)
    sources = ["192.0.2.1", "192.0.2.2", "198.51.100.7", "2001:db8::5"]
    reports = []
    for _ in range(60):
        obs = [
            Observation(
                ip=rng.choice(sources),
                time=START + timedelta(seconds=rng.randrange(0, 40 * 86400)),
                category=rng.choice(("scan", "brute-force")),
            )
            for _ in range(rng.randrange(1, 4))
        ]
        reports.append(obs)
    return reports


def snapshot(db: Database) -> dict[str, Any]:
    """Incidents, their events and the observations' incidents, with pks replaced by ranks."""
    with db.session() as session:
        incidents = session.scalars(select(IncidentRow).order_by(IncidentRow.id)).all()
        rank = {row.id: n for n, row in enumerate(incidents)}
        report_rank = {
            pk: n for n, pk in enumerate(session.scalars(select(ReportRow.id).order_by(ReportRow.id)))
        }
        events = session.scalars(select(IncidentEventRow).order_by(IncidentEventRow.id)).all()
        observations = session.execute(
            select(ObservationRow.report_pk, ObservationRow.incident_pk, ObservationRow.group_key).order_by(
                ObservationRow.id
            )
        ).all()
        queued = sorted(session.scalars(select(EnrichmentQueueRow.ip)))
    per_incident: dict[int, list[tuple[str, Any]]] = {n: [] for n in rank.values()}
    for e in events:
        detail = dict(e.detail)
        if "report" in detail:
            detail["report"] = report_rank[detail["report"]]
        if "note" in detail:  # "new observation from report <pk> ..."
            detail["note"] = re.sub(r"\d+", lambda m: str(report_rank[int(m.group())]), detail["note"])
        per_incident[rank[e.incident_pk]].append((e.action, detail))
    return {
        "incidents": [
            (
                r.group_key,
                r.category,
                r.state,
                r.priority,
                r.first_seen,
                r.last_seen,
                r.report_count,
                r.observation_count,
            )
            for r in incidents
        ],
        "events": per_incident,
        "observations": [(report_rank[rp], rank.get(ip), key) for rp, ip, key in observations],
        "queued": queued,
    }


def clear(db: Database) -> None:
    with db.session() as session:
        for table in (
            IncidentEventRow,
            ObservationRow,
            ReportRow,
            IncidentRow,
            MessageRow,
            EnrichmentQueueRow,
        ):
            session.execute(delete(table))


def group_all(db: Database, grouper: Grouper, reports: list[list[Observation]], batch: int) -> None:
    """The first 10 reports, then resolve every incident, then the rest ``batch`` at a time."""

    def store(chunk: list[list[Observation]]) -> None:
        with db.session() as session:
            stored: list[tuple[list[StoredObservation], str | None]] = [
                (add_report(session, obs, received=START), None) for obs in chunk
            ]
            if batch == 1:
                for observations, category in stored:
                    grouper.group_report(session, observations, category, now=START)
            else:
                grouper.group_batch(session, stored, now=START)

    for n in range(0, 10, batch):
        store(reports[n : min(n + batch, 10)])
    with db.session() as session:
        session.execute(update(IncidentRow).values(state="resolved"))
    for n in range(10, len(reports), batch):
        store(reports[n : n + batch])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_group_batch_equals_group_report_one_report_at_a_time(db: Database, seed: int) -> None:
    settings = Settings()
    lifecycle = replace(settings.lifecycle, high_priority_reports=4, critical_priority_reports=9)
    grouper = Grouper(replace(settings, lifecycle=lifecycle))
    reports = scenario(seed)
    group_all(db, grouper, reports, batch=1)
    expected = snapshot(db)
    clear(db)
    group_all(db, grouper, reports, batch=25)
    got = snapshot(db)
    assert got == expected
    actions = {a for events in expected["events"].values() for a, _d in events}
    assert {"created", "grouped", "reopened", "escalated"} <= actions  # the scenario meets each case


def ingest(settings: Settings, db: Database, items: list[RawMessage]) -> Counts:
    counts = Counts()
    with AnalyzerPool(settings) as pool:
        for result in Pipeline(settings, db, pool).ingest(items):
            counts.add(result)
    return counts


def examples() -> list[RawMessage]:
    return [m for m in iter_path(EXAMPLES, "examples") if isinstance(m, RawMessage)]


def test_a_batch_of_new_messages_takes_no_savepoint_and_few_statements(
    settings: Settings, db: Database
) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement[:90])

    event.listen(db.engine, "before_cursor_execute", record)
    counts = ingest(settings, db, examples())
    event.remove(db.engine, "before_cursor_execute", record)
    assert (counts.new, counts.quarantined) == (13, 0)
    assert "SAVEPOINT" not in statements
    # Storing is one statement per message; the commit a fixed handful per batch.
    assert len(statements) < 13 + 30, statements


def test_a_message_failing_in_a_bulk_batch_is_quarantined_alone(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = report_store._observation_values

    def refuse_one_source(report_pk: int, o: Observation) -> dict[str, Any]:
        if o.ip == "203.0.113.45":
            raise ValueError("refused for the test")
        return real(report_pk, o)

    monkeypatch.setattr(report_store, "_observation_values", refuse_one_source)
    monkeypatch.setattr(pipeline, "COMMIT_SECONDS", 60.0)  # all 13 in one batch
    counts = ingest(settings, db, examples())
    assert counts.new == 13 and 1 <= counts.quarantined < 13
    with db.session() as session:
        rows = session.execute(select(MessageRow.status, MessageRow.failed_stage, MessageRow.traceback)).all()
    quarantined = [r for r in rows if r.status == "quarantined"]
    assert len(quarantined) == counts.quarantined
    assert all(
        r.failed_stage == "store" and "refused for the test" in (r.traceback or "") for r in quarantined
    )
    assert sum(r.status == "processed" for r in rows) == 13 - counts.quarantined
    with db.session() as session:
        keys = {i.group_key for i in incident_store.list_incidents(session)}
    assert "203.0.113.45" not in keys and {"203.0.113.77", "198.51.100.66"} <= keys

    # Fixed, the quarantined ones are replayed; the others stay as they were.
    monkeypatch.setattr(report_store, "_observation_values", real)
    with db.session() as session:
        pks = list(session.scalars(select(MessageRow.id).where(MessageRow.status == "quarantined")))
    with AnalyzerPool(settings) as pool:
        outcomes = [r.outcome for r in Pipeline(settings, db, pool).replay(pks)]
    assert outcomes == ["processed"] * len(pks)
    with db.session() as session:
        assert "203.0.113.45" in {i.group_key for i in incident_store.list_incidents(session)}


def test_bulk_and_careful_paths_store_the_same(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(settings, db, examples())
    bulk = snapshot(db)
    with db.session() as session:
        headers = session.execute(
            select(
                MessageRow.status, MessageRow.status_reason, MessageRow.from_addr, MessageRow.subject
            ).order_by(MessageRow.id)
        ).all()
    clear(db)

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("no bulk path for this test")

    monkeypatch.setattr(commit, "commit_new", refuse)
    ingest(settings, db, examples())
    assert snapshot(db) == bulk
    with db.session() as session:
        again = session.execute(
            select(
                MessageRow.status, MessageRow.status_reason, MessageRow.from_addr, MessageRow.subject
            ).order_by(MessageRow.id)
        ).all()
    assert again == headers
