"""A stored message's raw bytes: from the database or, once archived, from the archive file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.errors import PermanentError
from abusebox.store import evidence as store


def archive_path(settings: Settings, sha256: str) -> Path:
    return settings.resolve_path(settings.retention.archive_dir) / sha256[:2] / f"{sha256}.eml"


class RawUnavailable(PermanentError):
    """The raw bytes of a message are gone (pruned) or the archived copy is missing or altered."""


def read_raw(settings: Settings, session: Session, pk: int) -> bytes:
    """A message's raw bytes, from the database or, once archived, from the archive file.

    The archived copy is checked against the sha256 stored at ingest. Raises KeyError for
    no such message and RawUnavailable (with a reason fit for the ledger) when the bytes
    cannot be had.
    """
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
