"""Per-registry pacing and cooldown, with a fake clock."""

from __future__ import annotations

import pytest

from abusebox.enrich.ratelimit import RegistryCoolingDown, RegistryLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_min_interval_is_per_registry() -> None:
    clock = FakeClock()
    limiter = RegistryLimiter({"lacnic": 5.0, "arin": 0.5}, 600, clock=clock, sleep=clock.sleep)
    limiter.acquire("lacnic")
    limiter.acquire("arin")  # another registry: no wait
    assert clock.slept == []
    clock.now += 1.0
    limiter.acquire("lacnic")
    assert clock.slept == [pytest.approx(4.0)]


def test_rate_limit_cools_the_registry_down() -> None:
    clock = FakeClock()
    limiter = RegistryLimiter({}, 600, clock=clock, sleep=clock.sleep, default_interval=0)
    limiter.rate_limited("ripencc")
    with pytest.raises(RegistryCoolingDown) as info:
        limiter.acquire("ripencc")
    assert info.value.wait_seconds == pytest.approx(600)
    limiter.acquire("apnic")
    clock.now += 601
    limiter.acquire("ripencc")
    assert not limiter.cooling_down("ripencc")
