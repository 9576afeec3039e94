"""The benchmark's floor replays exactly the rows an ingest wrote (benchmarks/floor.py).

The floor is the evidence for how high the end-to-end ratio can go at all; it is only a
floor if the replay writes the same rows, through the same schema, as the ingest did.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from abusebox.core.config import DatabaseSettings, PgpSettings, Settings
from abusebox.core.models import RawMessage
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store.db import Database
from benchmarks import floor
from benchmarks.mixed import corpus

TABLES = ("messages", "reports", "observations", "incidents", "incident_events", "enrichment_queue")


def _ingested(tmp_path: Path, mails: list[bytes]) -> str:
    url = f"sqlite:///{tmp_path / 'ingested.db'}"
    (tmp_path / "gnupg").mkdir(mode=0o700)
    settings = Settings(
        database=DatabaseSettings(url=url), pgp=PgpSettings(gnupghome=str(tmp_path / "gnupg"))
    )
    db = Database(url)
    db.upgrade()
    items = [RawMessage(raw, "bench", f"bench/{i}") for i, raw in enumerate(mails)]
    with AnalyzerPool(settings) as pool:
        for _ in Pipeline(settings, db, pool).ingest(items):
            pass
    db.dispose()
    return url


def _contents(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        found = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}
        found["desk_tally_delta"] = sorted(
            conn.execute("SELECT kind, bucket, a, b, sum(n) FROM desk_tally_delta GROUP BY 1, 2, 3, 4")
        )
    finally:
        conn.close()
    return found


def test_the_replay_writes_what_the_ingest_wrote(tmp_path: Path) -> None:
    mails = list(corpus(260))  # three commit batches, incidents that span them
    source = tmp_path / "snapshot.db"
    floor.snapshot(_ingested(tmp_path, mails), source)
    target = tmp_path / "replay.db"
    Database(f"sqlite:///{target}").upgrade()

    seconds = floor.writes(source, target)

    assert seconds > 0
    before, after = _contents(source), _contents(target)
    assert len(before["messages"]) == 260
    assert len(before["observations"]) > 260 and len(before["incidents"]) > 10
    for table in (*TABLES, "desk_tally_delta"):
        assert after[table] == before[table], table
    replay = floor._Replay(source)
    assert len(replay.batches) == 3
    assert any(batch["touched"] for batch in replay.batches[1:])  # updates of earlier incidents


def test_the_floor_is_bound_by_the_writer_or_the_cores() -> None:
    cpu_bound = floor.Floor(messages=1000, parse_cpu=3.0, writes=1.0, cores=2)
    assert cpu_bound.seconds == 2.0 and cpu_bound.rate == 500.0
    writer_bound = floor.Floor(messages=1000, parse_cpu=0.5, writes=2.0, cores=2)
    assert writer_bound.seconds == 2.0
