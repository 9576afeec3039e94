"""Issue 15 defect 10: the export writes through a private temporary file, never a planted one."""

from __future__ import annotations

import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from incident_helpers import add_report

from abusebox.core.config import Settings
from abusebox.core.models import Observation
from abusebox.desk.export import ExportError, export_incident
from abusebox.incidents.grouping import Grouper
from abusebox.store.db import Database

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _two_reports(db: Database, settings: Settings) -> tuple[int, None]:
    raw = b"From: a@example.org\r\nSubject: ssh\r\n\r\n192.0.2.1 tried root\r\n"
    with db.session() as session:
        obs = [Observation(ip="192.0.2.1", time=T0, category="brute-force", evidence="x")]
        stored = add_report(session, obs, received=T0, raw=raw)
        touched = Grouper(settings).group_report(session, stored, None, now=T0)
    return touched[0], None


def _settings(tmp_path: Path) -> Settings:
    return Settings(path=str(tmp_path / "abusebox.toml"))


def test_planted_tmp_symlink_and_fifo_are_not_written(db: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    pk, _raws = _two_reports(db, settings)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    out = tmp_path / "x.zip"
    (tmp_path / "x.zip.tmp").symlink_to(victim)
    export_incident(settings, db, pk, out)
    assert victim.read_text() == "keep me"
    assert zipfile.ZipFile(out).namelist()
    out2 = tmp_path / "y.zip"
    os.mkfifo(tmp_path / "y.zip.tmp")
    export_incident(settings, db, pk, out2)  # a FIFO at OUT.tmp must not block
    assert zipfile.ZipFile(out2).namelist()


def test_existing_target_needs_force_and_non_regular_is_refused(db: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    pk, _raws = _two_reports(db, settings)
    out = tmp_path / "x.zip"
    out.write_text("old")
    with pytest.raises(ExportError, match="--force"):
        export_incident(settings, db, pk, out)
    assert out.read_text() == "old"
    export_incident(settings, db, pk, out, force=True)
    assert zipfile.ZipFile(out).namelist()
    link = tmp_path / "link.zip"
    link.symlink_to(tmp_path / "elsewhere.zip")
    fifo = tmp_path / "fifo.zip"
    os.mkfifo(fifo)
    for target in (link, fifo, tmp_path):
        with pytest.raises(ExportError, match="not a regular file"):
            export_incident(settings, db, pk, target, force=True)
    assert not (tmp_path / "elsewhere.zip").exists()


def test_no_temporary_file_is_left_when_the_rename_fails(db: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    pk, _raws = _two_reports(db, settings)
    out = tmp_path / "out" / "x.zip"
    out.mkdir(parents=True)  # a directory where the file should go: the final step fails
    (out / "child").write_text("x")
    with pytest.raises((ExportError, OSError)):
        export_incident(settings, db, pk, out, force=True)
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.zip"]
