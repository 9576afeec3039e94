"""Retention: raw messages and observations older than configured ages are archived or pruned.

Incidents and their event log are kept. A message row is never deleted: it is the sha256
ledger entry that recognises the message if it arrives again; only its raw bytes go
(``archive``: written first to ``archive_dir/<sha[:2]>/<sha>.eml``, ``messages.archived``
set). Observations are deleted (``archive``: appended first as JSON lines to
``archive_dir/observations-<date>.jsonl``). Incident counters keep their historical values.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from abusebox.config import Settings
from abusebox.errors import PermanentError
from abusebox.models import format_utc
from abusebox.store import evidence as store
from abusebox.store.db import Database
from abusebox.store.schema import utcnow


@dataclass
class RetentionResult:
    messages: int = 0
    observations: int = 0
    mode: str = "archive"

    def summary(self) -> str:
        verb = "archived" if self.mode == "archive" else "pruned"
        return f"{verb} raw bytes of {self.messages} messages and {self.observations} observations"


def archive_path(settings: Settings, sha256: str) -> Path:
    return settings.resolve_path(settings.retention.archive_dir) / sha256[:2] / f"{sha256}.eml"


class RawUnavailable(PermanentError):
    """The raw bytes of a message are gone (pruned) or the archived copy is missing or altered."""


def read_raw(settings: Settings, db: Database, pk: int) -> bytes:
    """A message's raw bytes, from the database or, once archived, from the archive file.

    The archived copy is checked against the sha256 stored at ingest. Raises KeyError for
    no such message and RawUnavailable (with a reason fit for the ledger) when the bytes
    cannot be had.
    """
    with db.session() as session:
        state = store.raw_state(session, pk)
    if state is None:
        raise KeyError(pk)
    sha, raw, archived = state
    if raw is not None:
        return raw
    if not archived:
        raise RawUnavailable(
            f"raw bytes of message {pk} were pruned by retention (mode prune); only sha256 {sha} is kept"
        )
    path = archive_path(settings, sha)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RawUnavailable(
            f"message {pk} was archived to {path}, which cannot be read: {exc.strerror or exc}"
        ) from None
    if hashlib.sha256(data).hexdigest() != sha:
        raise RawUnavailable(
            f"archived copy {path} of message {pk} does not match the sha256 stored at ingest"
        )
    return data


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
                        fh.write(
                            json.dumps({**row, "time": format_utc(row["time"])}, ensure_ascii=False) + "\n"
                        )
                    fh.flush()
                    os.fsync(fh.fileno())
            store.delete_observations(session, [r["id"] for r in rows])
            result.observations += len(rows)
    return result
