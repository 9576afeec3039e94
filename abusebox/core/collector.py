"""Pausing Python's cyclic garbage collector around bulk work.

A commit of a large batch allocates hundreds of thousands of small objects (row values,
plain incidents, events) while the main process holds the batch's analyses: every
collection of the oldest generation walks that whole heap again, and profiled, the
collector took about a quarter of a 20,000-row feed's commit. None of that work makes
reference cycles worth collecting meanwhile (reference counting still frees everything
else at once), so the collector waits until the block ends. Threads may nest and overlap
pauses; the collector runs again when the last one ends, if it ran before the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic garbage collection while the block runs."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
