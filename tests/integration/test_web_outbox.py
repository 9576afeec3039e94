"""The outbox over HTTP on SQLite and PostgreSQL: roles, CSRF, approve by page and API, send once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from outbox_helpers import LIST_FIELDS, mail_settings
from paths import EXAMPLES
from smtp_server import SmtpServer
from web_support import add_user, client, csrf_of, login

from abusebox.cli import main
from abusebox.core.config import Settings
from abusebox.outbox.compose import Outgoing, new_message_id
from abusebox.outbox.queue import enqueue
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.sources.local import iter_path
from abusebox.store import audit
from abusebox.store import incidents as incident_store
from abusebox.store import outbox as outbox_store
from abusebox.store.db import Database

Desk = tuple[Settings, int, list[int], str, str]


def cli_list(tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str], *flags: str) -> object:
    """`abusebox outbox list --json` against the same database."""
    path = tmp_path / "cli.toml"
    path.write_text(f"[database]\nurl = {json.dumps(settings.database.url)}\n")
    capsys.readouterr()
    assert main(["outbox", "list", "--json", "--config", str(path), *flags]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def desk(settings: Settings, db: Database, smtp: SmtpServer) -> Desk:
    """Settings sending to the aiosmtpd fixture, an incident, two drafts on it, tokens of hana and vic."""
    settings = mail_settings(settings, smtp)
    with AnalyzerPool(settings) as pool:
        list(Pipeline(settings, db, pool).ingest(iter_path(EXAMPLES, "examples")))
    with db.session() as session:
        pk = next(i.pk for i in incident_store.list_incidents(session) if i.group_key == "203.0.113.45")
        drafts = [
            enqueue(
                session,
                settings,
                Outgoing(
                    to=[f"abuse{n}@isp.example"],
                    subject=f"Abuse report {n}",
                    body="body\n",
                    message_id=new_message_id(settings.mail),
                ),
                kind="notify",
                status="draft",
                actor="test",
                incidents=(pk,),
            )
            for n in (1, 2)
        ]
    return settings, pk, drafts, add_user(db, "hana", "handler"), add_user(db, "vic", "viewer")


def _status(db: Database, pk: int) -> str:
    with db.session() as session:
        item = outbox_store.get(session, pk)
    assert item is not None
    return item.status


def _events(db: Database, pk: int) -> list[tuple[str, str, object]]:
    with db.session() as session:
        detail = incident_store.get_incident(session, pk)
    assert detail is not None
    return [(e.actor, e.action, e.detail.get("outbox")) for e in detail.events]


def test_viewer_cannot_approve_and_is_audited(desk: Desk, db: Database) -> None:
    settings, pk, (first, _), _, viewer = desk
    c = client(settings, db)
    r = c.post(f"/api/v1/outbox/{first}/approve", headers={"Authorization": f"Bearer {viewer}"})
    assert r.status_code == 403 and r.json() == {"error": "forbidden"}
    csrf = login(c, "vic")
    page = c.get("/outbox")
    assert page.status_code == 200 and "Abuse report 1" in page.text
    assert f"/outbox/{first}/approve" not in page.text  # no buttons for a viewer
    for action in ("approve", "discard"):
        r = c.post(f"/outbox/{first}/{action}", data={"csrf_token": csrf})
        assert r.status_code == 403
    assert c.post("/outbox/send", data={"csrf_token": csrf}).status_code == 403
    assert _status(db, first) == "draft"
    with db.session() as session:
        denied = audit.recent(session, action="denied")
    wanted = {(e.actor, e.target, e.detail["wanted"]) for e in denied}
    assert ("vic", f"outbox {first}", "outbox_approve") in wanted
    assert ("vic", f"outbox {first}", "outbox_discard") in wanted
    assert ("vic", "outbox", "outbox_send") in wanted
    assert sum(1 for e in denied if e.detail["wanted"] == "outbox_approve") == 2  # API and page
    assert not any(a == "outbox_approved" for _, a, _ in _events(db, pk))


def test_missing_or_wrong_csrf_is_refused(desk: Desk, db: Database) -> None:
    settings, _, (first, _), _, _ = desk
    c = client(settings, db)
    login(c, "hana")
    assert c.post(f"/outbox/{first}/approve", data={}).status_code == 403
    assert c.post(f"/outbox/{first}/approve", data={"csrf_token": "forged"}).status_code == 403
    assert c.post("/outbox/send", data={}).status_code == 403
    assert _status(db, first) == "draft"
    with db.session() as session:
        refused = audit.recent(session, action="csrf_refused")
    assert len(refused) == 3 and {e.actor for e in refused} == {"hana"}


def test_handler_approves_by_page_and_api_then_send_delivers_once(
    desk: Desk, db: Database, smtp: SmtpServer
) -> None:
    settings, pk, (first, second), handler, _ = desk
    c = client(settings, db)
    login(c, "hana")
    assert "Abuse report 1" in c.get("/outbox", params={"status": "draft"}).text
    assert "Abuse report 1" not in c.get("/outbox", params={"status": "sent"}).text
    board = c.get("/").text
    assert '<a href="/outbox?status=draft" id="outbox-waiting">2</a>' in board
    # The incident page lists its rows with the forms; approving there comes back to it.
    page = c.get(f"/incidents/{pk}")
    assert f"/outbox/{first}/approve" in page.text and f"/outbox/{second}/discard" in page.text
    r = c.post(
        f"/outbox/{first}/approve", data={"csrf_token": csrf_of(page.text), "back": f"/incidents/{pk}"}
    )
    assert r.status_code == 303 and r.headers["location"] == f"/incidents/{pk}?notice=done"
    assert _status(db, first) == "approved"
    # A second approval is refused as a message, not a 500.
    r = c.post(f"/outbox/{first}/approve", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and "error=" in r.headers["location"]
    # Through the API.
    hauth = {"Authorization": f"Bearer {handler}"}
    r = c.post(f"/api/v1/outbox/{second}/approve", headers=hauth)
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["id"] == second
    assert c.post(f"/api/v1/outbox/{second}/approve", headers=hauth).status_code == 409
    assert c.post("/api/v1/outbox/999999/approve", headers=hauth).status_code == 404
    assert '<a href="/outbox?status=draft" id="outbox-waiting">0</a>' in c.get("/").text
    # Send now: one delivery pass, each mail received exactly once; a second pass sends nothing.
    csrf = csrf_of(c.get("/outbox").text)
    r = c.post("/outbox/send", data={"csrf_token": csrf})
    assert r.status_code == 303 and "sent+2" in r.headers["location"]
    smtp.wait_for(2)
    r = c.post("/outbox/send", data={"csrf_token": csrf})
    assert "sent+0" in r.headers["location"]
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["abuse1@isp.example", "abuse2@isp.example"]
    assert {_status(db, first), _status(db, second)} == {"sent"}
    events = _events(db, pk)
    assert ("hana", "outbox_approved", first) in events and ("hana", "outbox_approved", second) in events
    assert ("sender", "outbox_sent", first) in events
    timeline = c.get(f"/incidents/{pk}").text
    assert "<strong>hana</strong>: outbox_approved" in timeline
    with db.session() as session:
        sends = audit.recent(session, action="outbox_send")
    assert [e.actor for e in sends] == ["hana", "hana"] and sends[-1].detail["sent"] == 2


def test_discard_by_page(desk: Desk, db: Database) -> None:
    settings, pk, (first, _), _, _ = desk
    c = client(settings, db)
    csrf = login(c, "hana")
    r = c.post(f"/outbox/{first}/discard", data={"csrf_token": csrf, "back": "//evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/outbox?notice=done"
    assert _status(db, first) == "discarded"
    assert ("hana", "outbox_discarded", first) in _events(db, pk)


def test_api_list_equals_cli_json(
    desk: Desk, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _, (first, _), handler, viewer = desk
    c = client(settings, db)
    auth = {"Authorization": f"Bearer {viewer}"}
    c.post(f"/api/v1/outbox/{first}/approve", headers={"Authorization": f"Bearer {handler}"})
    for params, flags in (
        ({}, []),
        ({"status": "draft"}, ["--status", "draft"]),
        ({"kind": "notify"}, ["--kind", "notify"]),
    ):
        cli = cli_list(tmp_path, settings, capsys, *flags)
        api = c.get("/api/v1/outbox", params=params, headers=auth).json()
        assert api == cli and api
        assert all(list(row) == LIST_FIELDS for row in api)
    assert c.get("/api/v1/outbox", params={"status": "nope"}, headers=auth).status_code == 400
    assert c.get("/api/v1/outbox").status_code == 401
    schema = c.get("/api/v1/openapi.json").json()
    assert "/api/v1/outbox" in schema["paths"] and "/api/v1/outbox/{id}/approve" in schema["paths"]
