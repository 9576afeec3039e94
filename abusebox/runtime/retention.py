"""Retention: raw messages and observations older than configured ages are archived or pruned.

Incidents and their event log are kept. A message row is never deleted: it is the sha256
ledger entry that recognises the message if it arrives again; only its raw bytes go
(``archive``: written first to ``archive_dir/<sha[:2]>/<sha>.eml``, ``messages.archived``
set). Observations are deleted (``archive``: appended first as JSON lines to
``archive_dir/observations-<date>.jsonl``). Incident counters keep their historical values.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from abusebox.core.config import Settings
from abusebox.core.models import format_utc
from abusebox.store import evidence as store
from abusebox.store.base import utcnow
from abusebox.store.db import Database
from abusebox.store.raw import archive_path


@dataclass
class RetentionResult:
    messages: int = 0
    observations: int = 0
    mode: str = "archive"

    def summary(self) -> str:
        verb = "archived" if self.mode == "archive" else "pruned"
        return f"{verb} raw bytes of {self.messages} messages and {self.observations} observations"


def _write_once(path: Path, data: bytes) -> None:
    """Write atomically (temp + rename) and fsync: the archive is the only copy after this."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def apply_retention(settings: Settings, db: Database, *, now: datetime | None = None) -> RetentionResult:
    cfg = settings.retention
    now = now or utcnow()
    result = RetentionResult(mode=cfg.mode)
    archive = cfg.mode == "archive"
    raw_cutoff = now - timedelta(days=cfg.raw_days)
    while True:
        with db.session() as session:
            batch = store.old_raw_messages(session, raw_cutoff, cfg.batch_size)
            if not batch:
                break
            if archive:
                for _pk, sha, raw in batch:
                    _write_once(archive_path(settings, sha), raw)
            store.drop_raw(session, [pk for pk, _s, _r in batch], archived=archive)
            result.messages += len(batch)
    obs_cutoff = now - timedelta(days=cfg.observation_days)
    lines_path = settings.resolve_path(cfg.archive_dir) / f"observations-{now:%Y%m%d}.jsonl"
    while True:
        with db.session() as session:
            rows = store.old_observations(session, obs_cutoff, cfg.batch_size)
            if not rows:
                break
            if archive:
                lines_path.parent.mkdir(parents=True, exist_ok=True)
                with lines_path.open("a", encoding="utf-8") as fh:
                    for row in rows:
                        line = {**dataclasses.asdict(row), "time": format_utc(row.time)}
                        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
            store.delete_observations(session, [r.id for r in rows])
            result.observations += len(rows)
    return result
