"""Failed logins counted per user name and per client address in a sliding window."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(self, attempts: int, window_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.attempts = attempts
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, name: str, address: str) -> bool:
        now = self.clock()
        with self._lock:
            return any(
                len(self._recent(key, now)) >= self.attempts
                for key in (f"user:{name.casefold()}", f"addr:{address}")
            )

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (f"user:{name.casefold()}", f"addr:{address}"):
                self._recent(key, now).append(now)
            if len(self._failures) > 100_000:  # a flood of names: forget the idle ones
                for key in [k for k, q in self._failures.items() if not q or q[-1] <= now - self.window]:
                    del self._failures[key]

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{name.casefold()}", None)
