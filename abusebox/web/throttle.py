"""Failed logins counted per user name and per client address in a sliding window.

Kept in the database (store/logins.py), so every server process and a restarted one
see the same failures: a guesser gains nothing by hitting another worker or waiting
for a restart.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from abusebox.store import logins
from abusebox.store.db import Database


def _now() -> datetime:
    return datetime.now(UTC)


class LoginThrottle:
    def __init__(
        self, db: Database, attempts: int, window_seconds: float, clock: Callable[[], datetime] = _now
    ):
        self.db = db
        self.attempts = attempts
        self.window = timedelta(seconds=window_seconds)
        self.clock = clock

    @staticmethod
    def _keys(name: str, address: str) -> list[str]:
        return [f"user:{name.casefold()[:300]}", f"addr:{address[:300]}"]

    def blocked(self, name: str, address: str) -> bool:
        since = self.clock() - self.window
        with self.db.session() as session:
            counts = logins.failures_since(session, self._keys(name, address), since)
        return any(n >= self.attempts for n in counts.values())

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self.db.session() as session:
            logins.record_failure(session, self._keys(name, address), now)
            if random.random() < 0.05:  # now and then, forget what no longer counts
                logins.prune(session, now - self.window)

    def succeeded(self, name: str) -> None:
        with self.db.session() as session:
            logins.forget(session, self._keys(name, "")[0])
