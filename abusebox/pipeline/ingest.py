"""Wire the stages: store raw -> analyse (worker processes) -> commit report + incidents.

The raw bytes are committed first, in their own transaction, before any parsing can
fail. A message becomes `processed` only in the transaction that writes its report
and incidents (pipeline/commit.py, the one writer); any failure quarantines it with
the stage, the reason and the traceback, and the next message goes on. Running twice
changes nothing: the sha256 ledger recognises every message already processed or
quarantined. A stream is stored in chunks and committed in batches, each its own
transaction, so a long run never holds one open.

Several workers may share a database (``abusebox run --role worker``): a `new`
message is analysed by the worker holding its lease (store/leases.py), taken when it
is stored, replayed or claimed, and the commit of its results checks, in the same
transaction, that the lease is still held; a result whose lease was lost is dropped
(the message's new holder commits it), so every message is committed once.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Generator, Iterable, Iterator

from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.errors import SourceError
from abusebox.core.models import RawMessage
from abusebox.incidents.grouping import Grouper
from abusebox.pipeline import commit
from abusebox.pipeline.commit import KEEP_DESK, Batch
from abusebox.pipeline.counts import IngestResult
from abusebox.pipeline.feed import run_ahead
from abusebox.pipeline.learning import LearnedCache, shared_cache
from abusebox.pipeline.pool import AnalysisFailure, AnalysisOutcome, AnalyzerPool
from abusebox.store import leases
from abusebox.store import messages as message_store
from abusebox.store.db import Database
from abusebox.store.raw import RawUnavailable, read_raw
from abusebox.triage.override import DeskVerdict

log = logging.getLogger(__name__)

COMMIT_BATCH = 100  # messages per transaction
COMMIT_SECONDS = 0.5  # ... or this long since the batch began, whichever comes first
STORE_BATCH = 50  # raw messages committed per transaction ...
STORE_BATCH_BYTES = 16 * 1024 * 1024  # ... or this many bytes, whichever comes first
CLAIM_BATCH = 50  # stored `new` messages a worker claims at a time (process_new)
HELD_ELSEWHERE = "being analysed by another worker"
# Told, in the transaction that stores them, the messages of a chunk and their pks.
OnStored = Callable[[Session, list[tuple[RawMessage, int]]], None]


class Pipeline:
    """One call per raw message (or a stream of them); never raises for bad input."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        pool: AnalyzerPool,
        learned: LearnedCache | None = None,
        lease: leases.Lease | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.pool = pool
        self.lease = lease or leases.Lease()
        self._claimed: set[int] = set()  # `new` messages in hand under our lease, not yet committed
        self._renewed = time.monotonic()  # when every lease in hand was last renewed (``_write``)
        self._checked_dead = False
        # What triage learned from the desk, reloaded when a new decision is recorded.
        self.learned = learned if learned is not None else shared_cache(db, settings)
        self.grouper = Grouper(settings)

    def ingest(
        self, items: Iterable[RawMessage | SourceError], on_stored: OnStored | None = None
    ) -> Iterator[IngestResult]:
        """Store, analyse and commit a stream of messages; yield one result per item.

        ``on_stored`` is called in each transaction that stores raw bytes, with (message,
        pk) for each: what the caller records there (an IMAP UID) commits with the bytes.
        """
        side: list[IngestResult] = []
        in_flight: set[int] = set()  # the same bytes twice in one stream are analysed once
        self._refresh_learned()

        def to_analyse() -> Iterator[tuple[tuple[int, str], bytes]]:
            for chunk in _store_chunks(items):
                messages = [item for item in chunk if isinstance(item, RawMessage)]
                for item in chunk:
                    if isinstance(item, SourceError):
                        side.append(IngestResult("unreadable", None, str(item.args[0]), str(item.args[1])))
                # Evidence first: the chunk's raw bytes are committed before any is analysed.
                # They are ours as inserted, and stored `new` ones met again are claimed in
                # the same transaction: no other worker takes them.
                with self.db.session() as session:
                    stored_chunk = message_store.store_raw_many(session, messages, self.lease)
                    if on_stored is not None:
                        on_stored(session, [(m, s.pk) for m, s in zip(messages, stored_chunk, strict=True)])
                    fresh = {s.pk for s in stored_chunk if s.is_new}
                    wanted = [
                        s.pk
                        for s in stored_chunk
                        if s.status == "new" and s.pk not in fresh and s.pk not in in_flight
                    ]
                    self._release_dead(session, wanted)
                    mine = fresh | leases.claim(session, self.lease, wanted)
                self._claimed.update(mine)
                for item, stored in zip(messages, stored_chunk, strict=True):
                    if stored.status in ("processed", "quarantined") or stored.pk in in_flight:
                        side.append(IngestResult("duplicate", stored.pk, item.source_id))
                        continue
                    if stored.pk not in mine:
                        side.append(IngestResult("duplicate", stored.pk, item.source_id, HELD_ELSEWHERE))
                        continue
                    in_flight.add(stored.pk)
                    yield (stored.pk, item.source_id), item.raw

        yield from self._committed(run_ahead(self.pool, to_analyse()), side)

    def store(
        self, items: Iterable[RawMessage | SourceError], on_stored: OnStored | None = None
    ) -> Iterator[IngestResult]:
        """Store raw messages only, leaving them `new` for the workers (``--role leader``);
        ``on_stored`` as for ``ingest``."""
        for chunk in _store_chunks(items):
            messages = [item for item in chunk if isinstance(item, RawMessage)]
            for item in chunk:
                if isinstance(item, SourceError):
                    yield IngestResult("unreadable", None, str(item.args[0]), str(item.args[1]))
            with self.db.session() as session:
                stored_chunk = message_store.store_raw_many(session, messages)
                if on_stored is not None:
                    on_stored(session, [(m, s.pk) for m, s in zip(messages, stored_chunk, strict=True)])
            for item, stored in zip(messages, stored_chunk, strict=True):
                yield IngestResult("stored" if stored.is_new else "duplicate", stored.pk, item.source_id)

    def process_new(self, stop: Callable[[], bool] = lambda: False) -> Iterator[IngestResult]:
        """Claim stored `new` messages nobody holds, analyse and commit them, until none is left.

        What a worker does; messages are claimed CLAIM_BATCH at a time as the pool
        takes them, so a worker holds only what it is about to analyse.
        """
        self._refresh_learned()
        side: list[IngestResult] = []

        def claimed() -> Iterator[tuple[tuple[int, str], bytes]]:
            while not stop():
                with self.db.session() as session:
                    self._release_dead(session, [0])
                    got = leases.claim_next(session, self.lease, CLAIM_BATCH, self._claimed)
                if not got:
                    return
                self._claimed.update(pk for pk, _raw in got)
                for pk, raw in got:
                    if raw is None:  # archived: read from the archive (or quarantined if gone)
                        with self.db.session() as session:
                            raw = self._load(session, pk, "worker", side)
                    if raw is not None:
                        yield (pk, f"message {pk}"), raw

        # A worker runs ahead by one claim at most: what it holds beyond that, others could take.
        yield from self._committed(run_ahead(self.pool, claimed(), ahead=CLAIM_BATCH), side)

    def replay(
        self, pks: Iterable[int], actor: str = "replay", override: DeskVerdict | None = None
    ) -> Iterator[IngestResult]:
        """Run stored messages again from their raw bytes.

        A desk decision wins over triage: ``override`` (a handler's new verdict), or
        else the verdict a handler gave the message earlier, which replay keeps.
        """
        self._refresh_learned()
        side: list[IngestResult] = []

        def load() -> Iterator[tuple[tuple[int, str], bytes]]:
            for pk in pks:
                with self.db.session() as session:
                    if not self._claim_for_replay(session, pk):
                        side.append(IngestResult("duplicate", pk, f"message {pk}", HELD_ELSEWHERE))
                        continue
                    raw = self._load(session, pk, actor, side)
                if raw is not None:
                    yield (pk, f"message {pk}"), raw

        yield from self._committed(run_ahead(self.pool, load()), side, desk=override or KEEP_DESK)

    def rerun(self, session: Session, pk: int, actor: str, override: DeskVerdict) -> IngestResult:
        """Run one stored message again inside the caller's transaction (the desk's decision).

        The analysis runs in the pool like any other (the per-message time limit holds;
        the pool's process is reused), and the result is written by the one writer in a
        SAVEPOINT of ``session``, so the caller's decision and the rerun commit together.
        """
        self._refresh_learned(session)
        side: list[IngestResult] = []
        raw = self._load(session, pk, actor, side)
        if raw is None:
            return side[0]
        batch: Batch = list(self.pool.run([((pk, f"message {pk}"), raw)]))
        (result,) = commit.write(commit.inside(session), self.grouper, batch, override)
        return result

    def _release_dead(self, session: Session, wanted: list[int]) -> None:
        """Once per pipeline, before claiming: free what crashed processes of this host held
        (a re-run after a crash need not wait for their leases)."""
        if self._checked_dead or not wanted:
            return
        self._checked_dead = True
        freed = leases.release_dead(session)
        if freed:
            log.info("freed %d messages claimed by processes of this host that are gone", freed)

    def _claim_for_replay(self, session: Session, pk: int) -> bool:
        """A `new` message is replayed under our lease (False: another worker holds it);
        a finished one (processed, quarantined) is replayed as asked."""
        self._release_dead(session, [pk])
        if leases.claim(session, self.lease, [pk]):
            self._claimed.add(pk)
            return True
        try:
            status, _holder = leases.holder(session, pk)
        except NoResultFound:
            return True  # _load reports the missing message
        return status != "new"

    def _load(self, session: Session, pk: int, actor: str, side: list[IngestResult]) -> bytes | None:
        """Record the replay and read the raw bytes; pruned ones quarantine the message instead."""
        message_store.add_event(session, pk, actor, "replayed", {})
        try:  # archived bytes come from the archive; pruned ones cannot be replayed
            return read_raw(self.settings, session, pk)
        except RawUnavailable as exc:
            commit.quarantine(session, pk, AnalysisFailure("load", str(exc)))
            side.append(IngestResult("quarantined", pk, f"message {pk}", f"load: {exc}"))
            return None

    def _refresh_learned(self, session: Session | None = None) -> None:
        """Hand the pool what triage currently knows from the desk (reloaded only when changed)."""
        if session is not None:
            self.pool.set_learned(self.learned.get(session))
            return
        with self.db.session() as own:
            self.pool.set_learned(self.learned.get(own))

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
        """Cut the outcomes into batches (by count or age), one transaction each."""
        batch: Batch = []
        started = time.monotonic()
        for outcome in outcomes:
            yield from _drain(side)
            if not batch:
                started = time.monotonic()
            batch.append(outcome)
            if len(batch) >= COMMIT_BATCH or time.monotonic() - started > COMMIT_SECONDS:
                yield from self._write(batch, desk)
                batch = []
        if batch:
            yield from self._write(batch, desk)
        yield from _drain(side)

    def _write(self, batch: Batch, desk: DeskVerdict | None) -> list[IngestResult]:
        """Commit a batch; messages analysed under our lease only while we still hold it.

        The guard (leases.hold) runs in the transaction that writes the results, so a
        lease cannot change hands in between. It renews the batch's leases, and every
        lease still in hand once a quarter of the lease has passed since that was last
        done (each renewal rewrites the message's row).
        """
        if not self._claimed:
            return commit.write(self.db.session, self.grouper, batch, desk)
        lost: list[IngestResult] = []
        renew_all = time.monotonic() - self._renewed >= self.lease.seconds / 4
        guarded = self._claimed if renew_all else self._claimed & {o.key[0] for o in batch}
        with self.db.session() as session:
            held = leases.hold(session, self.lease, sorted(guarded))
            keep: Batch = []
            for outcome in batch:
                pk, label = outcome.key
                if pk in self._claimed and pk not in held:
                    log.warning("message %s: lease lost to another worker; its result is dropped", pk)
                    lost.append(IngestResult("duplicate", pk, label, HELD_ELSEWHERE))
                else:
                    keep.append(outcome)
            results = commit.write(commit.inside(session), self.grouper, keep, desk) if keep else []
        self._claimed -= {outcome.key[0] for outcome in batch}
        if renew_all:
            self._claimed &= held
            self._renewed = time.monotonic()
        return [*results, *lost]


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
