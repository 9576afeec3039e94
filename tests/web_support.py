"""Helpers for the web tests: an app on a test database, users, a signed-in client."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from abusebox.core.config import Settings
from abusebox.store import users as user_store
from abusebox.store.db import Database
from abusebox.web.accounts import hash_password, new_token
from abusebox.web.app import create_app

PASSWORD = "correct horse battery"


def add_user(db: Database, name: str, role: str, password: str = PASSWORD) -> str:
    """Add a user and give them an API token; returns the token."""
    token = new_token()
    with db.session() as session:
        user = user_store.add_user(session, name, role, hash_password(password))
        user_store.add_token(session, user.pk, token)
    return token


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def client(settings: Settings, db: Database) -> TestClient:
    return TestClient(create_app(settings, db), base_url="http://127.0.0.1:8080", follow_redirects=False)


def login(c: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": name, "password": password, "csrf_token": token})
    assert r.status_code == 303, r.text
    return csrf_of(c.get("/").text)
