"""Wire the stages: store raw -> analyse (worker processes) -> commit report + incidents.

The raw bytes are committed first, in their own transaction, before any parsing can
fail. A message becomes `processed` only in the transaction that writes its report
and incidents; any failure quarantines it with the stage, the reason and the
traceback, and the next message goes on. Running twice changes nothing: the sha256
ledger recognises every message already processed or quarantined.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.errors import SourceError, TransientError
from abusebox.core.models import Analysis, RawMessage
from abusebox.incidents.grouping import Grouper
from abusebox.pipeline.commit import commit_new, header_facts, with_desk
from abusebox.pipeline.counts import IngestResult
from abusebox.pipeline.learning import LearnedCache, shared_cache
from abusebox.pipeline.pool import AnalysisFailure, AnalysisOutcome, AnalyzerPool
from abusebox.store import messages as message_store
from abusebox.store import reports as report_store
from abusebox.store.db import Database
from abusebox.store.incidents import recount
from abusebox.store.raw import RawUnavailable, read_raw
from abusebox.store.schema import utcnow
from abusebox.triage.override import DeskVerdict

log = logging.getLogger(__name__)

COMMIT_BATCH = 100  # messages per transaction
COMMIT_SECONDS = 0.5  # ... or this long since the batch began, whichever comes first
STORE_BATCH = 50  # raw messages committed per transaction ...
STORE_BATCH_BYTES = 16 * 1024 * 1024  # ... or this many bytes, whichever comes first
KEEP_DESK: DeskVerdict = ("", "")  # sentinel: keep whatever verdict a handler gave earlier


class Pipeline:
    """One call per raw message (or a stream of them); never raises for bad input."""

    def __init__(
        self, settings: Settings, db: Database, pool: AnalyzerPool, learned: LearnedCache | None = None
    ) -> None:
        self.settings = settings
        self.db = db
        self.pool = pool
        # What triage learned from the desk, reloaded when a new decision is recorded.
        self.learned = learned if learned is not None else shared_cache(db, settings)
        self.grouper = Grouper(settings)

    def ingest(
        self,
        items: Iterable[RawMessage | SourceError],
        on_stored: Callable[[RawMessage, int], None] | None = None,
    ) -> Iterator[IngestResult]:
        """Store, analyse and commit a stream of messages; yield one result per item."""
        side: list[IngestResult] = []
        in_flight: set[int] = set()  # the same bytes twice in one stream are analysed once
        self.pool.set_learned(self.learned.get())

        def to_analyse() -> Iterator[tuple[tuple[int, str], bytes]]:
            for chunk in _store_chunks(items):
                messages = [item for item in chunk if isinstance(item, RawMessage)]
                for item in chunk:
                    if isinstance(item, SourceError):
                        side.append(IngestResult("unreadable", None, str(item.args[0]), str(item.args[1])))
                # Evidence first: the chunk's raw bytes are committed before any is analysed.
                for item, stored in zip(
                    messages, message_store.store_raw_many(self.db, messages), strict=True
                ):
                    if on_stored is not None:
                        on_stored(item, stored.pk)
                    if stored.status in ("processed", "quarantined") or stored.pk in in_flight:
                        side.append(IngestResult("duplicate", stored.pk, item.source_id))
                        continue
                    in_flight.add(stored.pk)
                    yield (stored.pk, item.source_id), item.raw

        yield from self._committed(self.pool.run(to_analyse()), side)

    def replay(
        self, pks: Iterable[int], actor: str = "replay", override: DeskVerdict | None = None
    ) -> Iterator[IngestResult]:
        """Run stored messages again from their raw bytes.

        A desk decision wins over triage: ``override`` (a handler's new verdict), or
        else the verdict a handler gave the message earlier, which replay keeps.
        """
        self.pool.set_learned(self.learned.get())
        side: list[IngestResult] = []

        def load() -> Iterator[tuple[tuple[int, str], bytes]]:
            for pk in pks:
                with self.db.session() as session:
                    message_store.add_event(session, pk, actor, "replayed", {})
                try:  # archived bytes come from the archive; pruned ones cannot be replayed
                    raw = read_raw(self.settings, self.db, pk)
                except RawUnavailable as exc:
                    with self.db.session() as session:
                        self._quarantine(session, pk, AnalysisFailure("load", str(exc)))
                    side.append(IngestResult("quarantined", pk, f"message {pk}", f"load: {exc}"))
                    continue
                yield (pk, f"message {pk}"), raw

        yield from self._committed(self.pool.run(load()), side, desk=override or KEEP_DESK)

    def _committed(
        self,
        outcomes: Generator[AnalysisOutcome[tuple[int, str]], None, None],
        side: list[IngestResult],
        desk: DeskVerdict | None = None,
    ) -> Iterator[IngestResult]:
        """Commit analysis outcomes in batches; yield each result only once committed."""
        # Closed at once when a commit fails: the pool then discards the analyses in flight.
        with contextlib.closing(outcomes):
            yield from self._commit_all(outcomes, side, desk)

    def _commit_all(
        self,
        outcomes: Iterator[AnalysisOutcome[tuple[int, str]]],
        side: list[IngestResult],
        desk: DeskVerdict | None,
    ) -> Iterator[IngestResult]:
        batch: list[AnalysisOutcome[tuple[int, str]]] = []
        started = time.monotonic()
        for outcome in outcomes:
            yield from _drain(side)
            if not batch:
                started = time.monotonic()
            batch.append(outcome)
            if len(batch) >= COMMIT_BATCH or time.monotonic() - started > COMMIT_SECONDS:
                yield from self._commit_batch(batch, desk)
                batch = []
        if batch:
            yield from self._commit_batch(batch, desk)
        yield from _drain(side)

    def _commit_batch(
        self, batch: list[AnalysisOutcome[tuple[int, str]]], desk: DeskVerdict | None
    ) -> list[IngestResult]:
        """One transaction per batch, written in bulk; should that fail, written again one
        message at a time, each in a SAVEPOINT, so a failing message is quarantined with its
        traceback without undoing the others."""
        try:
            try:
                with self.db.session() as session:
                    return self._commit_bulk(session, batch, desk)
            except OperationalError:
                raise
            except Exception:  # the batch boundary: any error sends it down the careful path
                log.debug("bulk commit failed; committing message by message", exc_info=True)
            with self.db.session() as session:
                return [self._finish(session, o.key[0], o.key[1], o.analysis, o.failure, desk) for o in batch]
        except OperationalError as exc:
            # The database is unreachable or locked: not the messages' fault. They stay
            # `new`, so the next run (or poll) picks them up again.
            raise TransientError(f"database error while committing: {exc}") from exc

    def _commit_bulk(
        self, session: Session, batch: list[AnalysisOutcome[tuple[int, str]]], desk: DeskVerdict | None
    ) -> list[IngestResult]:
        analysed = [(o.key[0], o.analysis) for o in batch if o.analysis is not None]
        if report_store.prior_reports(session, [pk for pk, _a in analysed]):
            # A replay: replacing reports recounts incidents between messages, so keep the
            # message-at-a-time order (and a SAVEPOINT each) for the whole batch.
            return [self._finish(session, o.key[0], o.key[1], o.analysis, o.failure, desk) for o in batch]
        committed = iter(commit_new(session, self.grouper, analysed, None if desk is KEEP_DESK else desk))
        results: list[IngestResult] = []
        for outcome in batch:
            pk, label = outcome.key
            if outcome.analysis is None:
                results.append(self._finish(session, pk, label, None, outcome.failure, desk))
                continue
            done = next(committed)
            results.append(IngestResult("processed", pk, label, None, done.analysis.verdict, done.incidents))
        return results

    def _finish(
        self,
        session: Session,
        pk: int,
        label: str,
        analysis: Analysis | None,
        failure: AnalysisFailure | None,
        desk: DeskVerdict | None = None,
    ) -> IngestResult:
        if analysis is None:
            assert failure is not None
            self._quarantine(session, pk, failure)
            return IngestResult("quarantined", pk, label, f"{failure.stage}: {failure.reason}")
        savepoint = session.begin_nested()
        try:
            incidents, analysis = self._commit(session, pk, analysis, desk)
            savepoint.commit()
        except OperationalError:
            raise
        except Exception as exc:  # the per-message boundary: record with traceback, go on
            savepoint.rollback()
            failure = AnalysisFailure("store", f"{type(exc).__name__}: {exc}", traceback.format_exc())
            self._quarantine(session, pk, failure)
            return IngestResult("quarantined", pk, label, f"store: {exc}")
        return IngestResult("processed", pk, label, None, analysis.verdict, tuple(incidents))

    def _commit(
        self, session: Session, pk: int, analysis: Analysis, desk: DeskVerdict | None
    ) -> tuple[list[int], Analysis]:
        if desk is KEEP_DESK:
            desk = report_store.desk_verdict(session, pk)
        analysis = with_desk(analysis, desk)
        report_pk, affected = report_store.replace_report(session, pk, analysis)
        incidents: list[int] = []
        if analysis.verdict == "report":
            stored = report_store.add_observations(
                session, report_pk, analysis.extraction.observations, analysis.parsed.date or utcnow()
            )
            incidents = self.grouper.group_report(session, stored, analysis.category)
        for incident_pk in affected:
            recount(session, incident_pk)
        reason = f"verdict {analysis.verdict}"
        message_store.mark(session, pk, "processed", reason=reason, headers=header_facts(analysis))
        return incidents, analysis

    def _quarantine(self, session: Session, pk: int, failure: AnalysisFailure) -> None:
        # info, not warning: the caller reports each quarantine itself (ingest prints one
        # line per item); a second, logged line on the console would only repeat it.
        log.info("message %s quarantined at %s: %s", pk, failure.stage, failure.reason)
        message_store.mark(
            session,
            pk,
            "quarantined",
            reason=failure.reason,
            stage=failure.stage,
            traceback=failure.traceback,
        )
        message_store.add_event(session, pk, "pipeline", "quarantined", {"stage": failure.stage})


def _store_chunks(items: Iterable[RawMessage | SourceError]) -> Iterator[list[RawMessage | SourceError]]:
    """Group a stream into chunks stored in one transaction each (bounded in count and bytes)."""
    chunk: list[RawMessage | SourceError] = []
    size = 0
    for item in items:
        chunk.append(item)
        size += len(item.raw) if isinstance(item, RawMessage) else 0
        if len(chunk) >= STORE_BATCH or size >= STORE_BATCH_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _drain(side: list[IngestResult]) -> Iterator[IngestResult]:
    while side:
        yield side.pop(0)
