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

from sqlalchemy import func, select

from abusebox.config import RetentionSettings, Settings
from abusebox.export import export_incident, safe_cell
from abusebox.grouping import Grouper
from abusebox.models import Observation
from abusebox.retention import apply_retention, archive_path
from abusebox.store.db import Database
from abusebox.store.incidents import get_incident
from abusebox.store.schema import IncidentRow, MessageRow, ObservationRow, utcnow
from tests.incident_helpers import add_report

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
        rows = list(csv.DictReader(io.StringIO(zf.read("observations.csv").decode())))
        assert len(rows) == 2 and all(r["evidence"] == "'" + HOSTILE for r in rows)
        timeline = json.loads(zf.read("timeline.json"))
        assert [e["action"] for e in timeline][:2] == ["created", "grouped"]
        pgp = json.loads(zf.read("pgp.json"))
        assert sorted(p["status"] for p in pgp) == ["none", "valid"]
        info = json.loads(zf.read("incident.json"))
        assert info["id"] == pk and info["targets"] == ["198.51.100.7"]


def test_safe_cell() -> None:
    for bad in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("192.0.2.1") == "192.0.2.1" and safe_cell(None) == ""


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
    detail = get_incident(db, pk)
    assert detail is not None and detail.events


def test_retention_prune_mode_drops_raw_without_archive(db: Database, tmp_path: Path) -> None:
    settings = Settings(path=str(tmp_path / "abusebox.toml"))
    settings = replace(settings, retention=RetentionSettings(raw_days=1, mode="prune", archive_dir="arch"))
    pk, _raws = _two_reports(db, settings)
    assert apply_retention(settings, db, now=T0 + timedelta(days=2)).messages == 2
    assert not (tmp_path / "arch").exists()
    result = export_incident(settings, db, pk, tmp_path / "x.zip")
    assert result.messages == 0 and len(result.missing) == 2
