"""Login throttling is kept in the database: another server process (or the same one
restarted) refuses a throttled name and address too; the window ends (SQLite, PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from web_support import PASSWORD, add_user, client, csrf_of

from abusebox.core.config import Settings
from abusebox.store.db import Database
from abusebox.web.throttle import LoginThrottle


def _try(settings: Settings, db: Database, name: str, password: str) -> int:
    c = client(settings, db)  # a new app each time: a fresh process as far as memory goes
    token = csrf_of(c.get("/login").text)
    return c.post("/login", data={"username": name, "password": password, "csrf_token": token}).status_code


def test_throttling_holds_across_processes_and_restarts(settings: Settings, db: Database) -> None:
    settings = replace(settings, web=replace(settings.web, login_attempts=3))
    add_user(db, "alice", "viewer")
    assert [_try(settings, db, "alice", "wrong") for _ in range(3)] == [401, 401, 401]
    assert _try(settings, db, "alice", PASSWORD) == 429  # another "process": still refused


def test_the_window_ends_and_a_success_forgets_the_name(db: Database) -> None:
    now = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    throttle = LoginThrottle(db, 2, 300, clock=lambda: now[0])
    other = LoginThrottle(db, 2, 300, clock=lambda: now[0])  # a second process
    throttle.failed("bob", "192.0.2.7")
    assert not other.blocked("bob", "198.51.100.1")
    other.failed("Bob", "198.51.100.1")  # names compare case-blind
    assert throttle.blocked("bob", "203.0.113.9")  # by name, from any address
    assert not throttle.blocked("carol", "203.0.113.9")
    throttle.failed("carol", "192.0.2.7")
    assert throttle.blocked("dave", "192.0.2.7")  # by address, for any name
    now[0] += timedelta(seconds=301)
    assert not throttle.blocked("bob", "192.0.2.7")
    other.failed("bob", "192.0.2.8")
    other.failed("bob", "192.0.2.9")
    assert throttle.blocked("bob", "192.0.2.10")
    throttle.succeeded("bob")
    assert not other.blocked("bob", "192.0.2.10")
