from __future__ import annotations

import time
from dataclasses import replace

from paths import EXAMPLES

from abusebox.core.config import Settings
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.runtime.jobs import register_housekeeping
from abusebox.runtime.service import Worker
from abusebox.sources.local import iter_path
from abusebox.store import incidents as incident_store
from abusebox.store.db import Database


def test_housekeeping_jobs_are_registered_and_run(settings: Settings, db: Database) -> None:
    offline = replace(
        settings,
        enrichment=replace(settings.enrichment, offline=True),
        lifecycle=replace(settings.lifecycle, auto_resolve_quiet_days=0.5 / 86400),  # half a second
    )
    with AnalyzerPool(offline) as pool:
        list(Pipeline(offline, db, pool).ingest(iter_path(EXAMPLES, "examples")))
    time.sleep(1.0)  # let every incident go quiet for longer than the configured period
    worker = Worker(offline, db)
    try:
        register_housekeeping(worker, offline, db)
        assert set(worker._periodic) == {"enrichment", "auto-resolve", "retention"}
        assert all(job.leader_only for job in worker._periodic.values())
        for job in worker._periodic.values():
            job.func()
    finally:
        worker.close()
    # Quiet for longer than the period: auto-resolve closed each, with the reason in the timeline.
    with db.session() as session:
        incidents = incident_store.list_incidents(session)
        assert incidents and {i.state for i in incidents} == {"resolved"}
        detail = incident_store.get_incident(session, incidents[0].pk)
    assert detail is not None and any("resolve" in e.action for e in detail.events)
