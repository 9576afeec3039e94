"""The hostile fuzz seeds: the example inbox (and the shared corpus when present)."""

from __future__ import annotations

from fuzz_seeds import seeds


def test_seeds_are_found() -> None:
    assert len(seeds()) >= 10, "the example inbox alone holds more than ten messages"
