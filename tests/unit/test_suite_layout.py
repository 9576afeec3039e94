"""The suite's layout: every test module is in tests/unit or tests/integration."""

from __future__ import annotations

from paths import TESTS


def test_every_test_module_is_in_unit_or_integration() -> None:
    stray = sorted(p.name for p in TESTS.glob("test_*.py"))
    assert stray == [], "move these into tests/unit (no services) or tests/integration (the rest)"
