"""The collector pause: off inside, back on after, however the blocks nest, overlap or fail."""

from __future__ import annotations

import gc
import threading

import pytest

from abusebox.core import collector


def test_paused_inside_and_restored_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still holds it
        raise RuntimeError("commit failed")
    assert gc.isenabled()


def test_overlapping_threads_leave_it_on_when_the_last_ends() -> None:
    inside = threading.Barrier(2)
    first_out = threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector.paused():
            inside.wait()
        first_out.set()

    def second() -> None:
        with collector.paused():
            inside.wait()
            first_out.wait()
            seen.append(gc.isenabled())  # the first thread ended its pause: still off

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [False] and gc.isenabled()


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
