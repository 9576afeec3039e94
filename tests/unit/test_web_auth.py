"""Web sign-in, roles, CSRF, throttling and API tokens over HTTP (SQLite; no services)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from web_support import PASSWORD, add_user, client, csrf_of, login

from abusebox.core.config import Settings, WebSettings
from abusebox.store import audit
from abusebox.store import users as user_store
from abusebox.store.db import Database


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'web.db'}")
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return Settings(path=str(tmp_path / "abusebox.toml"), web=replace(WebSettings(), login_attempts=3))


def test_pages_need_a_login_and_login_sets_a_safe_cookie(sqlite_db: Database, web_settings: Settings) -> None:
    add_user(sqlite_db, "alice", "viewer")
    c = client(web_settings, sqlite_db)
    r = c.get("/incidents")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    login(c, "alice")
    r = c.get("/incidents")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "nonce-" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_session_cookie_flags(sqlite_db: Database, web_settings: Settings) -> None:
    add_user(sqlite_db, "alice", "viewer")
    c = client(web_settings, sqlite_db)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    tls = client(web_settings, sqlite_db)
    tls.base_url = "https://desk.example.org"  # type: ignore[assignment]
    token = csrf_of(tls.get("/login").text)
    r = tls.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert "secure" in r.headers["set-cookie"].lower()


def test_wrong_password_and_throttling_per_user_and_address(
    sqlite_db: Database, web_settings: Settings
) -> None:
    add_user(sqlite_db, "alice", "viewer")
    c = client(web_settings, sqlite_db)
    token = csrf_of(c.get("/login").text)
    for _ in range(3):
        r = c.post("/login", data={"username": "alice", "password": "wrong", "csrf_token": token})
        assert r.status_code == 401
    # Now even the right password is refused for a while.
    r = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429
    # And from this address any other name too.
    r = c.post("/login", data={"username": "bob", "password": "x", "csrf_token": token})
    assert r.status_code == 429
    with sqlite_db.session() as session:
        actions = [e.action for e in audit.recent(session)]
    assert actions.count("login_failed") == 3 and "login_throttled" in actions


def test_disabled_user_cannot_log_in(sqlite_db: Database, web_settings: Settings) -> None:
    add_user(sqlite_db, "carol", "handler")
    with sqlite_db.session() as session:
        user_store.set_disabled(session, "carol")
    c = client(web_settings, sqlite_db)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": "carol", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 401


def test_csrf_missing_or_wrong_is_refused(sqlite_db: Database, web_settings: Settings) -> None:
    add_user(sqlite_db, "hank", "handler")
    c = client(web_settings, sqlite_db)
    r = c.post("/login", data={"username": "hank", "password": PASSWORD})
    assert r.status_code == 403
    good = login(c, "hank")
    for data in ({"state": "triage", "note": "x"}, {"state": "triage", "note": "x", "csrf_token": "forged"}):
        assert c.post("/incidents/1/state", data=data).status_code == 403
    assert c.post("/logout", data={}).status_code == 403
    assert c.post("/logout", data={"csrf_token": good}).status_code == 303
    assert c.get("/").status_code == 303  # signed out
    with sqlite_db.session() as session:
        assert sum(e.action == "csrf_refused" for e in audit.recent(session)) == 4


def test_viewer_cannot_change_state_and_is_audited(sqlite_db: Database, web_settings: Settings) -> None:
    add_user(sqlite_db, "vera", "viewer")
    c = client(web_settings, sqlite_db)
    csrf = login(c, "vera")
    r = c.post("/incidents/1/state", data={"state": "triage", "note": "x", "csrf_token": csrf})
    assert r.status_code == 403
    r = c.post("/incidents/bulk", data={"action": "state", "ids": "1", "state": "triage", "csrf_token": csrf})
    assert r.status_code == 403
    r = c.post("/messages/1/reclassify", data={"verdict": "spam", "csrf_token": csrf})
    assert r.status_code == 403
    assert c.get("/users").status_code == 403
    with sqlite_db.session() as session:
        denied = [e for e in audit.recent(session) if e.action == "denied"]
    assert {e.detail["wanted"] for e in denied} == {"set_state", "bulk_state", "reclassify", "users"}
    assert all(e.actor == "vera" for e in denied)


def test_api_tokens(sqlite_db: Database, web_settings: Settings) -> None:
    viewer = add_user(sqlite_db, "vera", "viewer")
    c = client(web_settings, sqlite_db)
    assert c.get("/api/v1/incidents").status_code == 401
    assert c.get("/api/v1/incidents", headers={"Authorization": "Bearer nope"}).status_code == 401
    r = c.get("/api/v1/incidents", headers={"Authorization": f"Bearer {viewer}"})
    assert r.status_code == 200 and r.json() == []
    r = c.post(
        "/api/v1/incidents/1/state",
        json={"state": "triage", "note": "x"},
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert r.status_code == 403
    with sqlite_db.session() as session:
        user_store.set_disabled(session, "vera")
    assert c.get("/api/v1/messages", headers={"Authorization": f"Bearer {viewer}"}).status_code == 401
    with sqlite_db.session() as session:
        stored = [t for (t,) in session.execute(user_store.select(user_store.ApiTokenRow.token_hash))]
    assert viewer not in stored and len(stored[0]) == 64


def test_openapi_healthz_metrics(sqlite_db: Database, web_settings: Settings) -> None:
    c = client(web_settings, sqlite_db)
    spec = c.get("/api/v1/openapi.json").json()
    assert "/api/v1/incidents/{id}/state" in spec["paths"]
    assert c.get("/healthz").json()["database"] == "ok"
    body = c.get("/metrics").text
    assert "abusebox_incidents_by_state" in body
    names = [line.split()[2] for line in body.splitlines() if line.startswith("# TYPE")]
    assert names and all(n.startswith("abusebox_") for n in names)
