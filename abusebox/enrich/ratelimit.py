"""Per-registry pacing: a minimum interval between queries and a cooldown after a 429.

LACNIC and RIPE answer 429 (and then block) quickly, so after a rate-limit answer the
registry is left alone for a cooldown, and every queued address that would go to it is
rescheduled without a query.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from abusebox.core.errors import TransientError


class RegistryCoolingDown(TransientError):
    """The registry rate-limited us recently; try again after ``until`` (monotonic seconds)."""

    def __init__(self, registry: str, wait_seconds: float) -> None:
        super().__init__(f"registry {registry} is cooling down after a rate limit ({wait_seconds:.0f}s left)")
        self.registry = registry
        self.wait_seconds = wait_seconds


class RegistryLimiter:
    """Pace queries per registry; thread-unsafe by design (one enrichment job at a time)."""

    def __init__(
        self,
        min_intervals: dict[str, float],
        cooldown_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        default_interval: float = 1.0,
    ) -> None:
        self._intervals = dict(min_intervals)
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._sleep = sleep
        self._default = default_interval
        self._last: dict[str, float] = {}
        self._blocked_until: dict[str, float] = {}

    def acquire(self, registry: str) -> None:
        """Wait for the registry's slot, or raise RegistryCoolingDown after a recent 429."""
        now = self._clock()
        blocked = self._blocked_until.get(registry)
        if blocked is not None and now < blocked:
            raise RegistryCoolingDown(registry, blocked - now)
        interval = self._intervals.get(registry, self._default)
        last = self._last.get(registry)
        if last is not None and now - last < interval:
            self._sleep(interval - (now - last))
            now = self._clock()
        self._last[registry] = now

    def rate_limited(self, registry: str) -> float:
        """Record a 429 from the registry; return the cooldown in seconds."""
        self._blocked_until[registry] = self._clock() + self._cooldown
        return self._cooldown

    def cooling_down(self, registry: str) -> bool:
        blocked = self._blocked_until.get(registry)
        return blocked is not None and self._clock() < blocked
