"""Analysis in worker processes with an enforced per-message time limit.

A signal-based timeout cannot interrupt a regex stuck in C code, and one message
must never stall or kill the worker: so each analysis runs in a child process that
is killed and replaced when its message runs over the limit (or exhausts memory).
The pool also gives the pipeline its parallelism (parsing bounds throughput).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing as mp
import os
import resource
import signal
import time
import traceback
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from email.message import Message
from multiprocessing import forkserver
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkServerContext
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from abusebox.core import collector
from abusebox.core.config import Settings
from abusebox.core.errors import LimitExceeded
from abusebox.core.models import Analysis

if TYPE_CHECKING:
    from abusebox.pipeline.feed import Feed
    from abusebox.triage.signals import LearnedSignals

log = logging.getLogger(__name__)
PARENT_CHECK_SECONDS = 1.0  # how often an idle worker checks that its parent lives
K = TypeVar("K")
QUEUE_BYTES = 64 * 1024  # messages up to this size may wait in a busy worker's pipe


@dataclass
class AnalysisFailure:
    """Why a message could not be analysed; the pipeline quarantines with this."""

    stage: str
    reason: str
    traceback: str | None = None


@dataclass
class AnalysisOutcome(Generic[K]):
    key: K
    analysis: Analysis | None
    failure: AnalysisFailure | None


def slim(analysis: Analysis) -> Analysis:
    """Drop the MIME tree and texts before sending a result between processes.

    Nested messages keep their headers (not their texts): their Message-IDs link a copy
    of our own mail that comes back inside another to its outbox row (outbox/correspondence.py).
    """
    nested = [
        replace(n, raw=b"", email=Message(), text_parts=[], attachments=[], nested=[])
        for n in analysis.parsed.nested[:10]
    ]
    parsed = replace(analysis.parsed, raw=b"", email=Message(), text_parts=[], attachments=[], nested=nested)
    return replace(analysis, parsed=parsed)


@dataclass(frozen=True)
class LearnedUpdate:
    """Sent to a worker before its next message when the desk's learned signals changed."""

    learned: LearnedSignals | None


def analyze_safely(
    raw: bytes, settings: Settings, learned: LearnedSignals | None = None
) -> Analysis | AnalysisFailure:
    """Analyse in this process, turning every error into an AnalysisFailure."""
    # Imported here: the parent of a pool never analyses, and its forkserver preloads this.
    from abusebox.pipeline.analyze import StageError, analyze

    try:
        return analyze(raw, settings, learned)
    except LimitExceeded as exc:
        return AnalysisFailure("limits", str(exc))
    except StageError as exc:
        tb = "".join(traceback.format_exception(exc.cause))
        return AnalysisFailure(exc.stage, str(exc), tb)
    except MemoryError:
        return AnalysisFailure("limits", "memory limit exceeded during analysis")


def _worker_main(conn: Connection, settings: Settings, memory_bytes: int, parent_end: Connection) -> None:
    # Close the parent's end of the pipe we were handed, so that recv() sees EOF and this
    # process exits when the parent dies (even by SIGKILL) instead of lingering. We also
    # watch for re-parenting while waiting for work: our parent is the forkserver, which
    # exits when the pool's process dies.
    parent_end.close()
    parent_pid = os.getppid()
    # Ctrl-C reaches the whole process group: the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # What the forkserver imported (modules, compiled patterns, vocabularies: ~35,000
    # objects) lives as long as this process: out of the cyclic collector's reach, a full
    # collection walks only what the messages left, instead of pausing one message
    # for 10-20 ms now and then.
    gc.collect()
    gc.freeze()
    learned: LearnedSignals | None = None
    while True:
        try:
            if not conn.poll(PARENT_CHECK_SECONDS):
                if os.getppid() != parent_pid:
                    return
                continue
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        if isinstance(task, LearnedUpdate):  # no reply: the message follows
            learned = task.learned
            continue
        result = analyze_safely(task, settings, learned)
        conn.send(slim(result) if isinstance(result, Analysis) else result)


def _context() -> ForkServerContext:
    """Children come from a forkserver, never forked from the parent itself.

    The parent runs scheduler and web threads and holds database connections; a plain
    fork copies whatever locks those threads hold at that instant. The server process
    is started once, single-threaded, with the analysis code imported, so a child
    (also each replacement of a killed one) starts as fast as a fork.
    """
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["abusebox.pipeline.pool", "abusebox.pipeline.analyze"])
    return ctx


def start_forkserver() -> None:
    """Start the pool's forkserver now rather than at the first message.

    It is a process of its own that imports the analysis code (a few hundred ms), so a
    command that calls this before importing the rest of what it needs (`abusebox ingest`:
    the pipeline and the store) gets both done side by side. Does nothing when the
    forkserver runs already.
    """
    _context()
    forkserver.ensure_running()


class _Worker:
    def __init__(self, ctx: ForkServerContext, settings: Settings, memory_bytes: int) -> None:
        parent, child = ctx.Pipe()
        self.conn = parent
        self.process = ctx.Process(
            target=_worker_main, args=(child, settings, memory_bytes, parent), daemon=True
        )
        self.process.start()
        child.close()
        self.inflight: deque[tuple[object, bytes]] = deque()  # sent, not yet answered; the first runs
        self.deadline = 0.0  # of the first in flight
        self.learned_version = 0

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.conn.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class AnalyzerPool:
    """Analyse many messages on N processes; each message gets at most `timeout` seconds."""

    def __init__(self, settings: Settings, processes: int | None = None) -> None:
        self.settings = settings
        self.timeout = settings.limits.message_timeout_seconds
        self.processes = max(1, processes or settings.limits.worker_processes or os.cpu_count() or 1)
        self.memory_bytes = settings.limits.worker_memory_mb * 1024 * 1024
        self._ctx = _context()
        self._workers: list[_Worker] = []
        self._learned: LearnedSignals | None = None
        self._learned_version = 0

    def set_learned(self, learned: LearnedSignals | None) -> None:
        """Use these learned signals from the next message on (sent once per worker)."""
        if learned is self._learned:
            return
        self._learned = learned
        self._learned_version += 1

    def __enter__(self) -> AnalyzerPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _spawn(self) -> _Worker:
        return _Worker(self._ctx, self.settings, self.memory_bytes)

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []

    def run(
        self, items: Iterable[tuple[K, bytes]], feed: Feed | None = None
    ) -> Generator[AnalysisOutcome[K], None, None]:
        """Yield one outcome per (key, raw) item, in completion order.

        With ``feed`` the items come from another thread instead (pipeline/feed.py).
        """
        busy: dict[Connection, _Worker] = {}
        try:
            yield from self._run(items, busy, feed)
        finally:
            # Left early (the items' source or the consumer raised, e.g. a database outage):
            # an answer still on its way must never be read as the answer to a later message.
            for worker in busy.values():
                worker.stop(kill=True)
                self._workers.remove(worker)

    def _run(
        self, items: Iterable[tuple[K, bytes]], busy: dict[Connection, _Worker], feed: Feed | None
    ) -> Iterator[AnalysisOutcome[K]]:
        pending = iter(items)
        retry: deque[tuple[object, bytes]] = deque()  # queued behind a message that failed its worker
        held: tuple[object, bytes] | None = None
        exhausted = False
        while len(self._workers) < self.processes:
            self._workers.append(self._spawn())
        while True:
            while True:
                if held is None and retry:
                    held = retry.popleft()
                if held is None and not exhausted:
                    if feed is not None:
                        held, exhausted = feed.take()
                        if feed.stopped:
                            return
                    else:
                        try:
                            held = next(pending)
                        except StopIteration:
                            exhausted = True
                if held is None:
                    break
                worker = self._choose(len(held[1]))
                if worker is None:
                    break
                key, raw = held
                held = None
                try:
                    self._send(worker, key, raw)
                except (BrokenPipeError, OSError):
                    busy.pop(worker.conn, None)
                    yield self._replace(worker, AnalysisFailure("worker", "analysis process died"), retry)
                    continue
                busy[worker.conn] = worker
            if not busy and (exhausted or feed is None):
                return
            watched: list[Connection] = list(busy)
            timeout: float | None = None
            if busy:
                timeout = max(0.0, min(w.deadline for w in busy.values()) - time.monotonic())
            if feed is not None and not exhausted:
                watched.append(feed.wake)
            ready = wait(watched, timeout=timeout)
            for conn in ready:
                if feed is not None and conn is feed.wake:
                    feed.drain()
                    if feed.stopped:
                        return
                    continue
                worker = busy[cast(Connection, conn)]
                try:
                    with collector.paused():  # unpickling a large feed's result: many objects
                        result = worker.conn.recv()
                except (EOFError, OSError):
                    del busy[worker.conn]
                    reason = f"analysis process died (exit code {worker.process.exitcode})"
                    yield self._replace(worker, AnalysisFailure("worker", reason), retry)
                    continue
                key, _raw = worker.inflight.popleft()
                if worker.inflight:  # the queued message starts as this one ends
                    worker.deadline = time.monotonic() + self.timeout
                else:
                    del busy[worker.conn]
                if isinstance(result, Analysis):
                    yield AnalysisOutcome(key, result, None)  # type: ignore[arg-type]
                else:
                    yield AnalysisOutcome(key, None, result)  # type: ignore[arg-type]
            now = time.monotonic()
            for conn, worker in list(busy.items()):
                if worker.deadline <= now:
                    del busy[conn]
                    reason = f"time limit of {self.timeout:g} s exceeded during analysis"
                    yield self._replace(worker, AnalysisFailure("limits", reason), retry)

    def _choose(self, size: int) -> _Worker | None:
        """An idle worker; else one with a single message, to queue a small one behind it.

        The queued message waits in the worker's pipe, so the worker goes on while the
        main process commits. Only small messages queue: a send into a full pipe would
        block the main process (and the worker's answer behind it).
        """
        idle = [w for w in self._workers if not w.inflight]
        if idle:
            return idle[-1]
        if size > QUEUE_BYTES:
            return None
        for worker in self._workers:
            if len(worker.inflight) == 1 and worker.learned_version == self._learned_version:
                return worker
        return None

    def _send(self, worker: _Worker, key: object, raw: bytes) -> None:
        if not worker.inflight:
            worker.deadline = time.monotonic() + self.timeout
        worker.inflight.append((key, raw))
        if worker.learned_version != self._learned_version:
            worker.conn.send(LearnedUpdate(self._learned))
            worker.learned_version = self._learned_version
        worker.conn.send(raw)

    def _replace(
        self, worker: _Worker, failure: AnalysisFailure, retry: deque[tuple[object, bytes]]
    ) -> AnalysisOutcome[K]:
        """Kill and replace a worker: its current message fails, the one queued behind is retried."""
        key, _raw = worker.inflight.popleft()
        retry.extendleft(reversed(worker.inflight))
        worker.inflight.clear()
        worker.stop(kill=True)
        self._workers.remove(worker)
        self._workers.append(self._spawn())
        log.info("replaced analysis worker: %s", failure.reason)  # the outcome carries the reason
        return AnalysisOutcome(key, None, failure)  # type: ignore[arg-type]
