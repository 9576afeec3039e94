"""`abusebox users add|list|disable|token` and `abusebox serve` (SQLite in a temp folder)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from abusebox.cli import main
from abusebox.store import users as user_store
from abusebox.store.db import Database
from abusebox.web.accounts import authenticate


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "abusebox.toml"
    path.write_text('[database]\nurl = "sqlite:///abusebox.db"\n\n[web]\nport = 0\n', encoding="utf-8")
    assert main(["--config", str(path), "db", "upgrade"]) == 0
    return path


def test_users_add_list_token_disable(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DESK_PW", "s3cret-enough")
    assert (
        main(
            [
                "--config",
                str(config),
                "users",
                "add",
                "alice",
                "--role",
                "handler",
                "--password-env",
                "DESK_PW",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "--config",
                str(config),
                "users",
                "add",
                "alice",
                "--role",
                "viewer",
                "--password-env",
                "DESK_PW",
            ]
        )
        == 1
    )
    monkeypatch.setenv("SHORT", "x")
    assert (
        main(["--config", str(config), "users", "add", "bob", "--role", "viewer", "--password-env", "SHORT"])
        == 1
    )
    capsys.readouterr()
    assert main(["--config", str(config), "users", "token", "alice"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("abx_") and len(token) > 40
    assert main(["--config", str(config), "users", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == "alice" and row["role"] == "handler" and row["tokens"] == 1 and not row["disabled"]
    db = Database(f"sqlite:///{config.parent / 'abusebox.db'}")
    with db.session() as session:
        assert authenticate(session, "alice", "s3cret-enough") is not None
        assert authenticate(session, "alice", "wrong") is None
        assert user_store.user_for_token(session, token) is not None
        stored = session.scalars(user_store.select(user_store.UserRow.password_hash)).one()
    assert stored.startswith("$argon2id$") and "s3cret" not in stored
    assert main(["--config", str(config), "users", "disable", "alice"]) == 0
    with db.session() as session:
        assert user_store.user_for_token(session, token) is None
        assert authenticate(session, "alice", "s3cret-enough") is None
    db.dispose()
    assert main(["--config", str(config), "users", "disable", "nobody"]) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_healthz(config: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "abusebox", "--config", str(config), "serve", "--port", str(port)],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = json.loads(r.read())
                    assert r.headers["X-Content-Type-Options"] == "nosniff"
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert body["database"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
