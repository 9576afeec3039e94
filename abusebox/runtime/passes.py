"""One pass of the pipeline without the scheduler: a local source's poll, or the stored `new` messages.

``Worker`` (service.py) runs these from its scheduler jobs and its main loop, holding
the analysis pool's lock; they are kept apart from it because they are the work, not
its timing: each takes settings, database, pool and lease as arguments, stops between
messages when asked and returns what it did, with no scheduler, leader lock or signal
handling of its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from abusebox.core.config import Settings, SourceSettings
from abusebox.pipeline.counts import Counts, IngestResult
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.sources.local import iter_maildir, iter_path
from abusebox.store import messages as message_store
from abusebox.store.db import Database
from abusebox.store.leases import Lease

log = logging.getLogger(__name__)
T = TypeVar("T")


def until(stop: threading.Event, items: Iterable[T]) -> Iterator[T]:
    """Pass items through until a stop is requested."""
    for item in items:
        if stop.is_set():
            return
        yield item


def poll_local(
    settings: Settings,
    db: Database,
    pool: AnalyzerPool,
    source: SourceSettings,
    stop: threading.Event,
    *,
    lease: Lease | None = None,
    store_only: bool = False,
) -> Counts:
    """One poll of a local source: new Maildir files or the whole mbox/eml path.

    ``store_only`` (``--role leader``): the raw messages are stored and left `new` for
    the workers; files already stored are skipped whatever their status.
    """
    path = settings.resolve_path(source.path or "")
    if source.kind == "maildir":
        with db.session() as session:
            known = message_store.known_source_ids(session, source.name, finished_only=not store_only)
        items = iter_maildir(path, source.name, skip=known)
    else:
        items = iter_path(path, source.name)
    counts = Counts()
    pipeline = Pipeline(settings, db, pool, lease=lease)
    results = pipeline.store(until(stop, items)) if store_only else pipeline.ingest(until(stop, items))
    for result in results:
        counts.add(result)
        _log_result(source.name, result)
    counts.fetched = counts.read + counts.unreadable  # every item a local source gives is fetched
    return counts


def resume_pending(
    settings: Settings,
    db: Database,
    pool: AnalyzerPool,
    *,
    lease: Lease | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Analyse stored `new` messages nobody holds (left by a stopped run, or stored by a
    leader for the workers); the number committed by this call."""
    done = 0
    for result in Pipeline(settings, db, pool, lease=lease).process_new(stop):
        if result.outcome in ("processed", "quarantined"):
            done += 1
    return done


def _log_result(source: str, result: IngestResult) -> None:
    if result.outcome == "quarantined":
        log.warning("%s: %s quarantined: %s", source, result.label, result.reason)
    elif result.outcome == "unreadable":
        log.warning("%s: %s unreadable: %s", source, result.label, result.reason)


__all__ = ["poll_local", "resume_pending"]
