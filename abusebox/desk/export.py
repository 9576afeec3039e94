"""Evidence export: one zip per incident, for handing logs over.

Contents: ``messages/<id>-<sha>.eml`` (the raw bytes as received), ``observations.csv``
(CSV-injection safe), ``timeline.json`` (the work log), ``pgp.json`` (verification
results per report), ``incident.json`` and ``manifest-sha256.txt`` (``sha256sum -c``
format). An .eml's manifest hash is the sha256 stored at ingest; the bytes are checked
against it before they are written, so a mismatch is reported, never exported silently.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from abusebox.core.config import Settings
from abusebox.core.errors import AbuseboxError
from abusebox.core.safetext import safe_cell
from abusebox.core.taxonomy import taxonomy
from abusebox.desk.incidents import detail_json
from abusebox.store import evidence as evidence_store
from abusebox.store.db import Database
from abusebox.store.incidents import get_incident
from abusebox.store.raw import archive_path

CSV_FIELDS = ("id", "time", "ip", "port", "category", "taxonomy", "message_id", "evidence")


class ExportError(AbuseboxError):
    """The export could not be made (no such incident, evidence altered)."""


@dataclass
class ExportResult:
    path: Path
    messages: int = 0
    missing: list[str] = field(default_factory=list)  # sha256 of pruned raw messages


def observations_csv(observations: list[dict[str, object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for obs in observations:
        row = {**obs, "taxonomy": taxonomy(obs.get("category"))}  # type: ignore[arg-type]
        writer.writerow([safe_cell(row.get(f)) for f in CSV_FIELDS])
    # With a BOM: Excel (the desk's usual viewer, Japanese Windows included) then reads
    # the file as UTF-8 instead of the locale's code page.
    return buf.getvalue().encode("utf-8-sig")


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def check_target(out: Path, *, force: bool) -> None:
    """Refuse a target that is not a regular file (symlink, FIFO, device, folder), and an
    existing file unless ``force``."""
    try:
        st = os.lstat(out)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise ExportError(f"cannot write {out}: not a regular file")
    if not force:
        raise ExportError(f"cannot write {out}: it exists (use --force to replace it)")


def write_private(out: Path, chunks: list[tuple[str, bytes]], *, force: bool) -> None:
    """Write a zip of ``chunks`` to ``out`` through a private temporary file beside it.

    The temporary file is created with O_EXCL and mode 0600 under an unpredictable name
    (a planted symlink or FIFO is never opened), renamed over ``out`` only once complete,
    and removed whatever fails.
    """
    check_target(out, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in chunks:
                zf.writestr(name, data)
        check_target(out, force=force)  # again: the target may have been planted meanwhile
        os.replace(tmp_name, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def export_incident(
    settings: Settings, db: Database, pk: int, out: Path, *, force: bool = False
) -> ExportResult:
    """Write the incident's evidence zip to ``out``.

    The incident and its messages are read in one transaction, closed before the
    (possibly long) compression, so no writer waits on the export. An existing ``out``
    is replaced only with ``force``; a symlink, FIFO, device or folder never.
    """
    check_target(out, force=force)
    with db.session() as session:
        detail = get_incident(session, pk)
        if detail is None:
            raise ExportError(f"no incident {pk}")
        messages = evidence_store.incident_messages(session, pk)
    result = ExportResult(out)
    files: list[tuple[str, bytes, str]] = []  # (name, bytes, manifest hash)
    pgp = []
    for msg in messages:
        raw = msg.raw
        if raw is None and msg.archived:
            path = archive_path(settings, msg.sha256)
            raw = path.read_bytes() if path.exists() else None
        pgp.append(
            {
                "message": msg.pk,
                "sha256": msg.sha256,
                "from": msg.from_addr,
                "status": msg.pgp.status,
                "fingerprint": msg.pgp.fingerprint,
                "signer_matches_from": msg.pgp.signer_matches_from,
                "encrypted": msg.pgp.encrypted,
                "detail": msg.pgp.detail,
            }
        )
        if raw is None:
            result.missing.append(msg.sha256)
            continue
        if hashlib.sha256(raw).hexdigest() != msg.sha256:
            raise ExportError(f"message {msg.pk}: raw bytes do not match the sha256 stored at ingest")
        files.append((f"messages/{msg.pk}-{msg.sha256[:16]}.eml", raw, msg.sha256))
        result.messages += 1
    info = detail_json(detail)
    observations = info.pop("observations")
    events = info.pop("events")
    info["taxonomy"] = taxonomy(detail.category)  # RSIT classification, for CSIRT tools
    info["missing_raw_messages"] = result.missing
    info["exported_by"] = "abusebox"
    for name, data in (
        ("observations.csv", observations_csv(observations)),
        ("timeline.json", _json(events)),
        ("pgp.json", _json(pgp)),
        ("incident.json", _json(info)),
    ):
        files.append((name, data, hashlib.sha256(data).hexdigest()))
    manifest = "".join(f"{digest}  {name}\n" for name, _data, digest in files).encode()
    chunks = [(name, data) for name, data, _digest in files] + [("manifest-sha256.txt", manifest)]
    write_private(out, chunks, force=force)
    return result
