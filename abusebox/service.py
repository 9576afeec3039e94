"""The long-running worker: poll every enabled source on its interval until stopped.

APScheduler 3 runs one job per source (coalesced, one instance at a time, generous
misfire grace). A stop request (SIGINT/SIGTERM) is honoured between messages: the
message in hand is finished, the rest stay for the next run.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from apscheduler.schedulers.background import BackgroundScheduler

from abusebox.config import Settings, SourceSettings
from abusebox.pipeline import IngestCounts, IngestResult, Pipeline
from abusebox.sources.local import iter_maildir, iter_path
from abusebox.store import messages as message_store
from abusebox.store.db import Database
from abusebox.workers import AnalyzerPool

log = logging.getLogger(__name__)
T = TypeVar("T")

LOCAL_KINDS = ("maildir", "mbox", "eml")
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def until(stop: threading.Event, items: Iterable[T]) -> Iterator[T]:
    """Pass items through until a stop is requested."""
    for item in items:
        if stop.is_set():
            return
        yield item


def poll_local(
    settings: Settings, db: Database, pool: AnalyzerPool, source: SourceSettings, stop: threading.Event
) -> IngestCounts:
    """One poll of a local source: new Maildir files or the whole mbox/eml path."""
    path = settings.resolve_path(source.path or "")
    if source.kind == "maildir":
        items = iter_maildir(path, source.name, skip=message_store.known_source_ids(db, source.name))
    else:
        items = iter_path(path, source.name)
    counts = IngestCounts()
    for result in Pipeline(settings, db, pool).ingest(until(stop, items)):
        counts.add(result)
        _log_result(source.name, result)
    return counts


def resume_pending(settings: Settings, db: Database, pool: AnalyzerPool) -> int:
    """Finish messages stored but not processed when a previous run stopped."""
    pending = message_store.message_ids(db, status="new")
    for _ in Pipeline(settings, db, pool).replay(pending, actor="resume"):
        pass
    return len(pending)


def _log_result(source: str, result: IngestResult) -> None:
    if result.outcome == "quarantined":
        log.warning("%s: %s quarantined: %s", source, result.label, result.reason)
    elif result.outcome == "unreadable":
        log.warning("%s: %s unreadable: %s", source, result.label, result.reason)


class Worker:
    """Owns the scheduler, the analysis pool and the stop flag."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.stop = threading.Event()
        self.pool = AnalyzerPool(settings)
        self.scheduler = BackgroundScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
        self._pool_lock = threading.Lock()  # the pool is used by one job at a time
        self.pollers: dict[str, Callable[[SourceSettings], IngestCounts]] = {
            kind: self._poll_local for kind in LOCAL_KINDS
        }

    def _poll_local(self, source: SourceSettings) -> IngestCounts:
        return poll_local(self.settings, self.db, self.pool, source, self.stop)

    def poll(self, source: SourceSettings) -> None:
        if self.stop.is_set():
            return
        poller = self.pollers.get(source.kind)
        if poller is None:
            log.error("%s: no poller for sources of kind %s", source.name, source.kind)
            return
        with self._pool_lock:
            try:
                counts = poller(source)
            except Exception:  # one source's fault must not stop the worker or other sources
                log.exception("%s: poll failed", source.name)
                return
        log.info("%s: %s", source.name, counts.summary())

    def install_signal_handlers(self) -> None:
        def handle(signum: int, _frame: object) -> None:
            log.info("received %s: finishing the message in hand, then stopping", signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGINT, handle)
        signal.signal(signal.SIGTERM, handle)

    def run_forever(self) -> None:
        with self._pool_lock:
            resumed = resume_pending(self.settings, self.db, self.pool)
        if resumed:
            log.info("resumed %d messages left unprocessed by an earlier run", resumed)
        sources = [s for s in self.settings.sources if s.enabled]
        for source in sources:
            self.scheduler.add_job(
                self.poll,
                "interval",
                args=[source],
                seconds=source.poll_interval_seconds,
                id=f"poll:{source.name}",
                next_run_time=_now(),
            )
        if not sources:
            log.warning("no enabled sources configured: nothing to poll")
        self.scheduler.start()
        log.info("worker running: %d sources; stop with Ctrl-C or SIGTERM", len(sources))
        try:
            while not self.stop.wait(1.0):
                pass
        finally:
            self.scheduler.shutdown(wait=True)
            self.pool.close()
            log.info("worker stopped")


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


__all__ = ["Worker", "poll_local", "resume_pending"]
