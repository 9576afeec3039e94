"""Running ahead of the caller: the analysis pool kept busy while the main process commits.

``AnalyzerPool.run`` hands out a message only when the caller asks for the next outcome,
so while the caller commits a batch the workers have at most one message queued and run
dry. ``run_ahead`` pulls the messages in the caller's thread (an IMAP connection and the
storing of raw bytes stay there) a bounded amount ahead, and a feed thread of the pool
hands them to the workers and collects the answers meanwhile.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue
import threading
from collections import deque
from collections.abc import Generator, Iterable
from typing import TypeVar

from abusebox.pipeline.pool import AnalysisOutcome, AnalyzerPool

K = TypeVar("K")
AHEAD_MESSAGES = 256  # messages handed to the pool beyond the outcomes taken ...
AHEAD_BYTES = 64 * 1024 * 1024  # ... or this many bytes of them, whichever comes first


class _Ended:
    """The feed thread has finished (with the error it raised, if any)."""

    error: BaseException | None = None


class Feed:
    """Messages handed from the caller's thread to the pool's feed thread (``run_ahead``).

    ``wake`` becomes readable whenever something was put into an empty feed, the input
    ended or the caller stopped, so the feed thread waits on it beside the workers' pipes.
    An item put behind others needs no wake-up: the feed thread takes items until the feed
    is empty or every worker is busy, and then waits on those workers too.
    """

    def __init__(self) -> None:
        self._items: deque[tuple[tuple[int, object], bytes]] = deque()
        self._lock = threading.Lock()
        self._next = 0
        self.finished = False  # no more items will come
        self.stopped = False  # the caller has left: stop now
        self.wake, self._signal = mp.Pipe(duplex=False)

    def put(self, item: tuple[object, bytes]) -> int:
        with self._lock:
            sequence = self._next
            self._next += 1
            was_empty = not self._items
            self._items.append(((sequence, item[0]), item[1]))
        if was_empty:
            self._poke()
        return sequence

    def take(self) -> tuple[tuple[tuple[int, object], bytes] | None, bool]:
        """The next item (or None for none yet), and whether the input is over."""
        with self._lock:
            if self._items:
                return self._items.popleft(), False
            return None, self.finished

    def finish(self) -> None:
        self.finished = True
        self._poke()

    def stop(self) -> None:
        self.stopped = True
        self._poke()

    def drain(self) -> None:
        while self.wake.poll():
            self.wake.recv_bytes()

    def _poke(self) -> None:
        with contextlib.suppress(OSError):
            self._signal.send_bytes(b"")

    def close(self) -> None:
        """Close the wake-up pipe (once the feed thread has ended)."""
        self.wake.close()
        self._signal.close()


def run_ahead(
    pool: AnalyzerPool,
    items: Iterable[tuple[K, bytes]],
    ahead: int = AHEAD_MESSAGES,
    ahead_bytes: int = AHEAD_BYTES,
) -> Generator[AnalysisOutcome[K], None, None]:
    """``pool.run``, with the workers kept busy while the caller works between outcomes.

    The items are still pulled in the caller's thread (a source such as an IMAP
    connection, and the database work of storing them, stay on it), up to
    ``ahead`` messages or ``ahead_bytes`` bytes beyond the outcomes taken; a thread
    of the pool hands them to the workers and collects the answers meanwhile, so
    the workers go on while the caller commits. Leaving early (the caller raised or
    closed this generator) stops that thread at once and kills the workers that
    were busy, as ``pool.run`` does.
    """
    feed = Feed()
    answers: queue.SimpleQueue[AnalysisOutcome[tuple[int, K]] | _Ended] = queue.SimpleQueue()

    def pump() -> None:
        ended = _Ended()
        nothing: list[tuple[tuple[int, K], bytes]] = []  # the items come through the feed
        try:
            for outcome in pool.run(nothing, feed):
                answers.put(outcome)
        except BaseException as exc:  # handed to the caller's thread, raised there
            ended.error = exc
        answers.put(ended)

    thread = threading.Thread(target=pump, name="abusebox-analysis-feed", daemon=True)
    thread.start()
    pending = iter(items)
    sizes: dict[int, int] = {}  # sequence number -> bytes, of the messages handed over
    in_hand = 0
    exhausted = False
    try:
        while True:
            while not exhausted and len(sizes) < ahead and in_hand < ahead_bytes:
                try:
                    key, raw = next(pending)
                except StopIteration:
                    exhausted = True
                    feed.finish()
                    break
                sequence = feed.put((key, raw))
                sizes[sequence] = len(raw)
                in_hand += len(raw)
            if not sizes and exhausted:
                break
            answer = answers.get()
            if isinstance(answer, _Ended):
                if answer.error is not None:
                    raise answer.error
                break
            sequence, key = answer.key
            in_hand -= sizes.pop(sequence)
            yield AnalysisOutcome(key, answer.analysis, answer.failure)
    finally:
        feed.stop()
        thread.join()
        feed.close()
