"""Helpers for incident tests: store reports and observations without MIME parsing."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy.orm import Session

from abusebox.core.models import Observation
from abusebox.store.reports import StoredObservation, add_observations
from abusebox.store.schema import MessageRow, ReportRow


def add_report(
    session: Session,
    observations: list[Observation],
    *,
    received: datetime,
    raw: bytes | None = None,
    reporter: str = "reporter@example.org",
    pgp_status: str = "none",
) -> list[StoredObservation]:
    """A message + report holding ``observations``; returns them as the pipeline would."""
    raw = raw or f"From: {reporter}\r\nSubject: report {secrets.token_hex(8)}\r\n\r\nbody\r\n".encode()
    sha = hashlib.sha256(raw).hexdigest()
    message = MessageRow(
        sha256=sha,
        raw=raw,
        size=len(raw),
        source="test",
        source_id=sha[:16],
        received_at=received,
        from_addr=reporter,
        status="processed",
    )
    session.add(message)
    session.flush()
    report = ReportRow(
        message_pk=message.id,
        verdict="report",
        category=observations[0].category if observations else None,
        format="freeform",
        reporter=reporter,
        pgp_status=pgp_status,
        pgp_fingerprint="ABCD" if pgp_status == "valid" else None,
    )
    session.add(report)
    session.flush()
    return add_observations(session, report.id, observations, received)
