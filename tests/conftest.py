"""Fixtures for tests/unit and tests/integration: databases (SQLite and PostgreSQL), settings, corpus.

The service fixtures (Dovecot, gpg) are in tests/integration/conftest.py; helper modules
live beside this file (pytest's ``pythonpath`` puts tests/ on sys.path).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from services import corpus_dir, unavailable
from sqlalchemy import create_engine, text

from abusebox.core.config import LimitSettings, Settings
from abusebox.store.db import Database

PG_URL = os.environ.get("ABUSEBOX_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def corpus() -> Path:
    return corpus_dir()


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: not available
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards.

    Each test session gets its own schema so parallel runs on one database do not meet.
    """
    problem = _pg_available()
    if problem:
        unavailable(f"PostgreSQL at {PG_URL} unreachable ({problem})")
    schema = f"abusebox_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _reset_pg(db: Database) -> None:
    with db.engine.begin() as conn:
        schema = conn.execute(text("select current_schema()")).scalar_one()
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store-touching test runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'abusebox.db'}"
    url = request.getfixturevalue("pg_schema_url")
    db = Database(url)
    _reset_pg(db)
    db.dispose()
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings for pipeline tests: the test database, one analysis process, short limits."""
    base = Settings(path=str(tmp_path / "abusebox.toml"))
    return replace(
        base,
        database=replace(base.database, url=db_url),
        limits=LimitSettings(worker_processes=1, message_timeout_seconds=20.0),
    )
