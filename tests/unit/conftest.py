"""tests/unit runs without services: SQLite in a temp file at most, never PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def pg_schema_url() -> str:
    """Refuse PostgreSQL here: a test that runs on both backends belongs in tests/integration."""
    pytest.fail("a unit test asked for PostgreSQL: move it to tests/integration", pytrace=False)
