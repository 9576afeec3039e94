"""The analysis pool keeps its workers fed while the main process is busy, and a message
queued behind one that runs over the time limit is analysed, not lost (real processes)."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from paths import EXAMPLES, REPO

from abusebox.core.config import LimitSettings, PgpSettings, Settings
from abusebox.pipeline.feed import Feed, run_ahead
from abusebox.pipeline.pool import QUEUE_BYTES, AnalysisOutcome, AnalyzerPool


def _examples() -> list[bytes]:
    return [p.read_bytes() for p in sorted((EXAMPLES / "cur").iterdir()) if p.is_file()]


def _slow(parts: int) -> bytes:
    msg = MIMEMultipart()
    msg["From"] = "hostile@example.org"
    msg["Subject"] = "many parts"
    for i in range(parts):
        msg.attach(MIMEText(f"part {i} 192.0.2.{i % 250 + 1}"))
    return msg.as_bytes()


def _settings(tmp_path: object, **limits: object) -> Settings:
    base = Settings(pgp=PgpSettings(gnupghome=str(tmp_path)))
    return replace(base, limits=replace(LimitSettings(), **limits))  # type: ignore[arg-type]


def test_the_next_message_is_handed_out_before_the_consumer_asks(tmp_path: object) -> None:
    mails = _examples()[:4]
    assert all(len(m) <= QUEUE_BYTES for m in mails)
    with AnalyzerPool(_settings(tmp_path), processes=1) as pool:
        outcomes = pool.run(enumerate(mails))
        first = next(outcomes)
        # While the consumer holds the first result (commits it), the worker already has
        # the next message: it never waits for the main process.
        (worker,) = pool._workers
        assert len(worker.inflight) == 1
        rest = list(outcomes)
    assert sorted(o.key for o in [first, *rest]) == [0, 1, 2, 3]
    assert all(o.analysis is not None for o in [first, *rest])


def test_a_message_queued_behind_a_timeout_is_analysed(tmp_path: object) -> None:
    settings = _settings(tmp_path, max_parts=200_000, message_timeout_seconds=0.3)
    good = _examples()[:2]
    with AnalyzerPool(settings, processes=1) as pool:
        outcomes = {o.key: o for o in pool.run([("slow", _slow(40_000)), ("a", good[0]), ("b", good[1])])}
    assert outcomes["slow"].failure is not None
    assert "time limit of 0.3 s exceeded" in outcomes["slow"].failure.reason
    assert outcomes["a"].analysis is not None and outcomes["b"].analysis is not None


def test_a_large_message_waits_for_an_idle_worker(tmp_path: object) -> None:
    large = _examples()[0] + b"\n" + b"x" * (QUEUE_BYTES + 1)
    with AnalyzerPool(_settings(tmp_path), processes=1) as pool:
        outcomes = pool.run([("small", _examples()[1]), ("large", large)])
        next(outcomes)
        (worker,) = pool._workers
        assert not worker.inflight  # never queued into a busy worker's pipe
        assert [o.key for o in outcomes] == ["large"]


def _feed_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "abusebox-analysis-feed"]


def _message_id(outcome: AnalysisOutcome[object]) -> str | None:
    assert outcome.analysis is not None
    return outcome.analysis.parsed.message_id


def test_run_ahead_goes_on_analysing_while_the_consumer_holds_an_outcome(tmp_path: object) -> None:
    mails = _examples()[:6]
    with AnalyzerPool(_settings(tmp_path), processes=1) as pool:
        outcomes = run_ahead(pool, enumerate(mails))
        first = next(outcomes)
        # The consumer holds the first result (it commits); plain run would leave the
        # worker with one queued message, idle after it. Here the pool's feed thread
        # hands out every message and takes every answer meanwhile.
        (worker,) = pool._workers
        quiet = 0
        deadline = time.monotonic() + 60
        while quiet < 5 and time.monotonic() < deadline:
            quiet = quiet + 1 if not worker.inflight else 0
            time.sleep(0.05)
        assert quiet == 5, "the worker was not kept busy while the consumer held an outcome"
        rest = list(outcomes)
    assert sorted(o.key for o in [first, *rest]) == list(range(6))
    assert all(o.analysis is not None for o in [first, *rest])
    assert not _feed_threads()


def test_run_ahead_pulls_items_ahead_in_the_callers_thread_within_its_bounds(tmp_path: object) -> None:
    mails = _examples()[:6]
    pulled: list[str] = []

    def items() -> Iterator[tuple[int, bytes]]:
        for i, raw in enumerate(mails):
            pulled.append(threading.current_thread().name)
            yield i, raw

    with AnalyzerPool(_settings(tmp_path), processes=1) as pool:
        outcomes = run_ahead(pool, items(), ahead=3)
        next(outcomes)
        assert pulled == [threading.current_thread().name] * 3  # up to `ahead`, here
        assert len(list(outcomes)) == 5
        assert len(pulled) == 6
        pulled.clear()
        by_bytes = run_ahead(pool, items(), ahead_bytes=len(mails[0]))
        next(by_bytes)
        assert len(pulled) == 1  # one message already fills the byte bound
        by_bytes.close()


def test_run_ahead_left_early_stops_its_thread_and_no_stale_answer_follows(tmp_path: object) -> None:
    mails = _examples()
    assert len(mails) >= 8
    with AnalyzerPool(_settings(tmp_path), processes=2) as pool:
        outcomes = run_ahead(pool, enumerate(mails[:4]))
        next(outcomes)
        outcomes.close()  # the consumer failed to commit: what is in flight is discarded
        assert not _feed_threads()
        later = {o.key: o for o in run_ahead(pool, enumerate(mails[4:8], start=4))}
    assert sorted(later) == [4, 5, 6, 7]
    for key, outcome in later.items():
        expected = email.message_from_bytes(mails[key]).get("Message-ID", "").strip()
        assert expected and _message_id(outcome) == expected  # each answer is its own message's


def test_run_ahead_raises_what_the_source_raised(tmp_path: object) -> None:
    mails = _examples()[:2]

    def items() -> Iterator[tuple[int, bytes]]:
        yield 0, mails[0]
        raise ConnectionError("database went away while storing")

    with AnalyzerPool(_settings(tmp_path), processes=1) as pool:
        with pytest.raises(ConnectionError, match="database went away"):
            list(run_ahead(pool, items()))
        assert not _feed_threads()
        assert [o.key for o in run_ahead(pool, [(9, mails[1])])] == [9]


PRELOAD_PROBE = """
import json, sys

from abusebox.pipeline.pool import _context, start_forkserver

ANALYSIS = (
    "abusebox.pipeline.analyze",
    "abusebox.extract.formats",
    "abusebox.parsing.mime",
    "abusebox.triage",
)


def probe(conn):
    conn.send([m for m in ANALYSIS if m in sys.modules])


if __name__ == "__main__":
    start_forkserver()
    ctx = _context()
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=probe, args=(theirs,))
    child.start()
    in_child = ours.recv()
    child.join()
    print(json.dumps({"child": in_child, "parent": [m for m in ANALYSIS if m in sys.modules]}))
"""


def test_workers_start_with_the_analysis_code_their_parent_never_imports(tmp_path: Path) -> None:
    """The forkserver preloads the analysis code, so a worker (and each replacement of a killed
    one) is ready at once; the pool module itself leaves it to them (a command starts faster)."""
    script = tmp_path / "probe.py"
    script.write_text(PRELOAD_PROBE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    seen = json.loads(done.stdout)
    assert seen["child"] == [
        "abusebox.pipeline.analyze",
        "abusebox.extract.formats",
        "abusebox.parsing.mime",
        "abusebox.triage",
    ]
    assert seen["parent"] == []


def test_run_ahead_leaves_no_open_descriptor_behind(tmp_path: object) -> None:
    mails = _examples()[:2]
    with AnalyzerPool(_settings(tmp_path), processes=1) as pool:
        list(run_ahead(pool, enumerate(mails)))  # the workers and the forkserver are up
        before = len(os.listdir("/proc/self/fd"))
        for _ in range(20):
            assert len(list(run_ahead(pool, enumerate(mails)))) == 2
        assert len(os.listdir("/proc/self/fd")) <= before


def test_the_feed_wakes_its_thread_only_when_an_item_lands_in_an_empty_feed() -> None:
    # One byte through a pipe per message was most of what handing a message over cost;
    # an item behind others is taken by the thread without a wake-up (it takes until the
    # feed is empty or every worker is busy, and then waits on those workers).
    feed = Feed()
    try:
        feed.put(("a", b"1"))
        assert feed.wake.poll()
        feed.drain()
        feed.put(("b", b"2"))
        assert not feed.wake.poll()
        assert [feed.take()[0], feed.take()[0]] == [((0, "a"), b"1"), ((1, "b"), b"2")]
        assert feed.take() == (None, False)
        feed.put(("c", b"3"))
        assert feed.wake.poll()
        feed.drain()
        feed.finish()  # the end of the input always wakes it
        assert feed.wake.poll()
    finally:
        feed.close()


_FROZEN_PROBE = """
import gc
from multiprocessing import Pipe
from abusebox.core.config import Settings
from abusebox.pipeline import pool
ours, theirs = Pipe()
ours.send(None)  # no message: the worker sets itself up and returns
pool._worker_main(theirs, Settings(), 0, ours)
print(gc.get_freeze_count())
"""


def test_a_worker_keeps_what_it_imported_out_of_the_cyclic_collector():
    # Otherwise a full collection walks every module object and pauses one message.
    done = subprocess.run(
        [sys.executable, "-c", _FROZEN_PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    assert int(done.stdout.strip()) > 10_000
