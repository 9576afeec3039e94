"""The housekeeping jobs the worker runs besides polling: enrichment, auto-resolve, retention.

Each is a plain function of (settings, db) defined with its own concern; this module
only says how often the scheduler leader runs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.triggers.cron import CronTrigger

from abusebox.core.config import Settings
from abusebox.core.mail_config import DigestRecipient
from abusebox.enrich.job import run_enrichment
from abusebox.incidents.lifecycle import auto_resolve
from abusebox.outbox.digest import run_digest
from abusebox.outbox.forward import auto_forward
from abusebox.outbox.sender import send_pass
from abusebox.runtime.retention import apply_retention
from abusebox.runtime.service import Worker
from abusebox.store.db import Database

log = logging.getLogger(__name__)

ENRICHMENT_SECONDS = 60.0  # the queue's own backoff decides what is due; this only wakes it
AUTO_RESOLVE_SECONDS = 3600.0
RETENTION_SECONDS = 6 * 3600.0
AUTO_FORWARD_SECONDS = 300.0  # enrichment fills in the country the rules match on


def register_housekeeping(worker: Worker, settings: Settings, db: Database) -> None:
    """Schedule the jobs on the worker; they run on the scheduler leader only."""

    def enrichment() -> None:
        outcome = run_enrichment(settings, db)  # offline mode is honoured inside
        log.debug("enrichment: %s", outcome)

    def resolve_quiet() -> None:
        resolved = auto_resolve(settings, db)
        if resolved:
            log.info("auto-resolved %d quiet incidents", len(resolved))

    def retention() -> None:
        result = apply_retention(settings, db)
        log.info("retention: %s", result)

    worker.add_periodic("enrichment", enrichment, ENRICHMENT_SECONDS)
    worker.add_periodic("auto-resolve", resolve_quiet, AUTO_RESOLVE_SECONDS)
    worker.add_periodic("retention", retention, RETENTION_SECONDS)
    register_outbox(worker, settings, db)


def register_outbox(worker: Worker, settings: Settings, db: Database) -> None:
    """The SMTP sender, only with ``[mail] enabled = true``: the default config sends nothing."""
    if not settings.mail.enabled:
        log.info("[mail] enabled is false: the outbox is kept, nothing is sent")
        return

    def sender() -> None:
        counts = send_pass(settings, db)
        if counts.sent or counts.failed or counts.deferred:
            log.info("outbox: %s", counts.summary())

    worker.add_periodic("outbox-sender", sender, settings.mail.send_interval_seconds)
    if any(rule.auto for rule in settings.forward):

        def forwarding() -> None:
            with db.session() as session:
                made = auto_forward(session, settings)
            if made:
                log.info("auto-forward: %d incidents queued", len(made))

        worker.add_periodic("auto-forward", forwarding, AUTO_FORWARD_SECONDS)
    for recipient in settings.digest:
        worker.add_periodic(
            f"digest:{recipient.name}",
            digest_job(settings, db, recipient),
            0.0,
            trigger=CronTrigger.from_crontab(recipient.schedule, timezone=recipient.timezone),
        )


def digest_job(settings: Settings, db: Database, recipient: DigestRecipient) -> Callable[[], None]:
    """One recipient's digest, queued in one transaction (the sender job delivers it)."""

    def run() -> None:
        with db.session() as session:
            digest, pk = run_digest(session, settings, recipient)
        if digest is not None:
            log.info("digest %s: %d incidents queued as outbox %s", recipient.name, len(digest.incidents), pk)

    return run
