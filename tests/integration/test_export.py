"""Evidence export (zip, manifest hashes, CSV injection) and the retention job."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from incident_helpers import add_report
from paths import EXAMPLES
from sqlalchemy import func, select

from abusebox.core.config import RetentionSettings, Settings
from abusebox.core.models import Observation
from abusebox.desk.export import export_incident
from abusebox.incidents.grouping import Grouper
from abusebox.runtime.retention import apply_retention
from abusebox.store.base import utcnow
from abusebox.store.db import Database
from abusebox.store.incidents import get_incident
from abusebox.store.raw import archive_path
from abusebox.store.schema import IncidentRow, MessageRow, ObservationRow

T0 = datetime(2026, 11, 1, tzinfo=UTC)
HOSTILE = '=HYPERLINK("http://evil.example/","x")'


def _two_reports(db: Database, settings: Settings, received: datetime = T0) -> tuple[int, list[bytes]]:
    raws = [
        b"From: a@example.org\r\nSubject: ssh\r\n\r\n192.0.2.1 tried root\r\n",
        "From: b@example.jp\r\nSubject: =?UTF-8?B?5LiN5q2j44Ki44Kv44K744K5?=\r\n\r\n"
        "不正アクセス 192.0.2.1\r\n".encode(),
    ]
    grouper = Grouper(settings)
    for n, raw in enumerate(raws):
        obs = [
            Observation(
                ip="192.0.2.1", time=T0 + timedelta(hours=n), category="brute-force", evidence=HOSTILE
            ),
            Observation(ip="198.51.100.7", role="target", evidence="victim"),
        ]
        with db.session() as session:
            stored = add_report(session, obs, received=received, raw=raw, pgp_status="valid" if n else "none")
            touched = grouper.group_report(session, stored, None, now=T0)
    return touched[0], raws


def test_export_zip_has_evidence_with_matching_manifest(db: Database, tmp_path: Path) -> None:
    settings = Settings(path=str(tmp_path / "abusebox.toml"))
    pk, raws = _two_reports(db, settings)
    out = tmp_path / "out" / "incident.zip"
    result = export_incident(settings, db, pk, out)
    assert result.messages == 2 and result.missing == []
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        manifest = zf.read("manifest-sha256.txt").decode().splitlines()
        entries = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in manifest}
        assert set(entries) == names - {"manifest-sha256.txt"}
        for name, digest in entries.items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest
        emls = sorted(n for n in names if n.endswith(".eml"))
        assert sorted(zf.read(n) for n in emls) == sorted(raws)
        assert {entries[n] for n in emls} == {hashlib.sha256(r).hexdigest() for r in raws}
        data = zf.read("observations.csv")
        assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert len(rows) == 2 and all(r["evidence"] == "'" + HOSTILE for r in rows)
        assert {r["taxonomy"] for r in rows} == {"intrusion-attempts/brute-force"}  # RSIT
        timeline = json.loads(zf.read("timeline.json"))
        assert [e["action"] for e in timeline][:2] == ["created", "grouped"]
        pgp = json.loads(zf.read("pgp.json"))
        assert sorted(p["status"] for p in pgp) == ["none", "valid"]
        info = json.loads(zf.read("incident.json"))
        assert info["id"] == pk and info["targets"] == ["198.51.100.7"]
        assert info["taxonomy"] == "intrusion-attempts/brute-force"


def test_retention_archives_raw_and_observations_but_keeps_incidents(db: Database, tmp_path: Path) -> None:
    settings = Settings(
        path=str(tmp_path / "abusebox.toml"),
        retention=RetentionSettings(raw_days=30, observation_days=60, mode="archive", archive_dir="arch"),
    )
    pk, raws = _two_reports(db, settings, received=T0)
    result = apply_retention(settings, db, now=T0 + timedelta(days=40))
    assert (result.messages, result.observations) == (2, 0)
    for raw in raws:
        assert archive_path(settings, hashlib.sha256(raw).hexdigest()).read_bytes() == raw
    with db.session() as session:
        assert session.scalar(select(func.count(MessageRow.id)).where(MessageRow.raw.is_(None))) == 2
        assert session.scalar(select(func.count(MessageRow.id)).where(MessageRow.archived.is_(True))) == 2
    # The export still finds the archived bytes, and their hashes still match.
    out = tmp_path / "after.zip"
    assert export_incident(settings, db, pk, out).messages == 2
    # Observations without a time age by when they were stored (wall clock).
    result = apply_retention(settings, db, now=max(T0, utcnow()) + timedelta(days=61))
    assert result.observations == 4  # two sources, two targets
    lines = list((tmp_path / "arch").glob("observations-*.jsonl"))
    assert len(lines) == 1 and len(lines[0].read_text().splitlines()) == 4
    with db.session() as session:
        assert session.scalar(select(func.count(ObservationRow.id))) == 0
        incident = session.get(IncidentRow, pk)
        assert incident is not None and incident.observation_count == 2 and incident.events
    with db.session() as session:
        detail = get_incident(session, pk)
    assert detail is not None and detail.events


def test_retention_prune_mode_drops_raw_without_archive(db: Database, tmp_path: Path) -> None:
    settings = Settings(path=str(tmp_path / "abusebox.toml"))
    settings = replace(settings, retention=RetentionSettings(raw_days=1, mode="prune", archive_dir="arch"))
    pk, _raws = _two_reports(db, settings)
    assert apply_retention(settings, db, now=T0 + timedelta(days=2)).messages == 2
    assert not (tmp_path / "arch").exists()
    result = export_incident(settings, db, pk, tmp_path / "x.zip")
    assert result.messages == 0 and len(result.missing) == 2


def test_replay_reads_archived_bytes_and_quarantines_pruned_ones(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    """Replay after retention: archived bytes come back from the archive (sha256 checked);
    pruned ones cannot, and the message is quarantined saying so, not crashed on."""
    from abusebox.pipeline.ingest import Pipeline
    from abusebox.pipeline.pool import AnalyzerPool
    from abusebox.sources.local import iter_path
    from abusebox.store import messages as message_store

    examples = sorted((EXAMPLES / "cur").iterdir())[:3]
    archived = replace(
        settings,
        path=str(tmp_path / "abusebox.toml"),
        retention=RetentionSettings(raw_days=1, mode="archive", archive_dir="arch"),
    )
    with AnalyzerPool(archived, processes=1) as pool:
        pipeline = Pipeline(archived, db, pool)
        stored = [r.message_pk for r in pipeline.ingest(item for p in examples for item in iter_path(p, "t"))]
        assert len(stored) == 3
        later = utcnow() + timedelta(days=2)
        assert apply_retention(archived, db, now=later).messages == 3
        first, second, third = stored
        assert [r.outcome for r in pipeline.replay([first])] == ["processed"]
        # An altered archive copy is refused, not replayed.
        with db.session() as session:
            sha = session.get(MessageRow, second).sha256  # type: ignore[union-attr]
        archive_path(archived, sha).write_bytes(b"tampered")
        (result,) = list(pipeline.replay([second]))
        assert result.outcome == "quarantined" and "does not match the sha256" in (result.reason or "")
        # Pruned: quarantined with the reason, the run goes on with the next message.
        with db.session() as session:
            session.get(MessageRow, third).archived = False  # type: ignore[union-attr]
        results = list(pipeline.replay([third, first]))
    assert [r.outcome for r in results] == ["quarantined", "processed"]
    with db.session() as session:
        msg = message_store.get_message(session, third)
    assert msg is not None and msg.status == "quarantined" and msg.failed_stage == "load"
    assert "pruned by retention" in (msg.status_reason or "")


def test_retention_keeps_the_bytes_of_messages_never_processed(db: Database, tmp_path: Path) -> None:
    settings = Settings(
        path=str(tmp_path / "abusebox.toml"), retention=RetentionSettings(raw_days=1, mode="prune")
    )
    _two_reports(db, settings)
    with db.session() as session:
        first = session.scalars(select(MessageRow).order_by(MessageRow.id)).first()
        assert first is not None
        first.status = "new"  # stored, then the worker stopped before analysing it
    assert apply_retention(settings, db, now=T0 + timedelta(days=5)).messages == 1
    with db.session() as session:
        assert session.scalar(select(func.count(MessageRow.id)).where(MessageRow.raw.is_not(None))) == 1
