"""What the one writer calls for every committed batch: the mail its decisions make.

Everything here writes outbox rows in the caller's transaction, so a mail exists exactly
when the decision that made it does. With ``[mail] enabled = false`` nothing is queued.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.models import Analysis
from abusebox.outbox import acks, alerts, notify
from abusebox.store import outbox_facts


def after_commit(session: Session, settings: Settings, messages: list[tuple[int, Analysis]]) -> None:
    if not settings.mail.enabled:
        return
    reports = [pk for pk, analysis in messages if analysis.verdict == "report"]
    if not reports:
        return
    now = datetime.now(UTC)
    tickets = outbox_facts.incidents_of_messages(session, reports)
    acks.acknowledge(session, settings, messages, tickets, now)
    touched = sorted({t.pk for found in tickets.values() for t in found})
    notify.notify(session, settings, touched, now)
    alerts.alert(session, settings, touched, now)
