"""The desk's pages and API over HTTP on SQLite and PostgreSQL, with the example inbox ingested."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hostile_web import HOSTILE_EVIDENCE_MARK, HOSTILE_IP, HOSTILE_SUBJECT, write_hostile
from paths import EXAMPLES
from starlette.testclient import TestClient
from web_support import add_user, client, csrf_of, login

from abusebox.core.config import Settings
from abusebox.desk.incidents import detail_json, summary_json
from abusebox.desk.messages import summary_json as message_json
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.sources.local import iter_path
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store.db import Database


@pytest.fixture
def desk(settings: Settings, db: Database, tmp_path: Path) -> tuple[TestClient, str, str]:
    """A client signed in as a handler, the handler's API token and a viewer's token."""
    with AnalyzerPool(settings) as pool:
        pipeline = Pipeline(settings, db, pool)
        list(pipeline.ingest(iter_path(EXAMPLES, "examples")))
        list(pipeline.ingest(iter_path(write_hostile(tmp_path), "hostile")))
    handler_token = add_user(db, "hana", "handler")
    viewer_token = add_user(db, "vic", "viewer")
    c = client(settings, db)
    login(c, "hana")
    return c, handler_token, viewer_token


def _pk(db: Database, ip: str) -> int:
    with db.session() as session:
        return next(i.pk for i in incident_store.list_incidents(session) if i.group_key == ip)


def test_queue_filters_sorting_pages(desk: tuple[TestClient, str, str], db: Database) -> None:
    c, _, _ = desk
    r = c.get("/incidents")
    assert r.status_code == 200 and "203.0.113.45" in r.text
    r = c.get("/incidents", params={"cidr": "203.0.113.0/24"})
    assert "203.0.113.45" in r.text and HOSTILE_IP not in r.text
    r = c.get("/incidents", params={"ip": HOSTILE_IP})
    assert HOSTILE_IP in r.text and "203.0.113.45" not in r.text
    r = c.get("/incidents", params={"category": "brute-force", "sort": "reports", "state": "new"})
    assert r.status_code == 200 and "203.0.113.45" in r.text
    assert "not a CIDR" in c.get("/incidents", params={"cidr": "300.1/99"}).text


def test_incident_page_state_change_timeline_export_raw(
    desk: tuple[TestClient, str, str], db: Database
) -> None:
    c, _, _ = desk
    pk = _pk(db, "203.0.113.45")
    page = c.get(f"/incidents/{pk}")
    assert page.status_code == 200 and "203.0.113.45" in page.text
    csrf = csrf_of(page.text)
    r = c.post(
        f"/incidents/{pk}/state", data={"state": "triage", "note": "looking at it", "csrf_token": csrf}
    )
    assert r.status_code == 303 and "error" not in r.headers["location"]
    page = c.get(f"/incidents/{pk}")
    assert "hana" in page.text and "looking at it" in page.text
    with db.session() as session:
        detail = incident_store.get_incident(session, pk)
    assert detail is not None and detail.state == "triage" and detail.events[-1].actor == "hana"
    # A refused transition comes back as a message, not a 500.
    r = c.post(f"/incidents/{pk}/state", data={"state": "new", "note": "x", "csrf_token": csrf})
    assert "cannot+go" in r.headers["location"] or "cannot%20go" in r.headers["location"]
    z = c.get(f"/incidents/{pk}/export.zip")
    assert z.headers["content-disposition"].startswith("attachment")
    assert any(n.endswith(".eml") for n in zipfile.ZipFile(io.BytesIO(z.content)).namelist())
    mid = detail.observations[0].message_pk
    raw = c.get(f"/messages/{mid}/raw")
    assert raw.headers["content-disposition"] == f'attachment; filename="message-{mid}.eml"'
    assert raw.headers["content-type"].startswith("application/octet-stream")


def test_bulk_state_and_assign(desk: tuple[TestClient, str, str], db: Database) -> None:
    c, _, _ = desk
    csrf = csrf_of(c.get("/incidents").text)
    ids = [str(_pk(db, "203.0.113.45")), str(_pk(db, HOSTILE_IP))]
    r = c.post(
        "/incidents/bulk",
        data={"action": "assign", "ids": ids, "assignee": "kenji", "csrf_token": csrf},
    )
    assert r.status_code == 303
    with db.session() as session:
        assert {incident_store.get_incident(session, int(i)).assignee for i in ids} == {"kenji"}  # type: ignore[union-attr]


def test_search_messages_stats(desk: tuple[TestClient, str, str], db: Database) -> None:
    c, _, _ = desk
    assert "203.0.113.45" in c.get("/search", params={"q": "203.0.113.0/24"}).text
    assert HOSTILE_IP in c.get("/search", params={"q": HOSTILE_IP}).text
    r = c.get("/search", params={"q": "reporter@victim.example.org"})
    assert "reporter@victim.example.org" in r.text
    r = c.get("/search", params={"q": "<hostile-1@victim.example.org>"})
    assert "SSH attack" in r.text
    assert c.get("/messages", params={"verdict": "spam"}).status_code == 200
    assert c.get("/messages", params={"status": "quarantined"}).status_code == 200
    stats = c.get("/stats")
    assert stats.status_code == 200 and "<svg" in stats.text
    csv_text = c.get("/stats.csv").text
    assert csv_text.startswith("period_kind,period,reports,incidents,coordinated")
    assert c.get("/").status_code == 200


def test_hostile_report_is_shown_literally(desk: tuple[TestClient, str, str], db: Database) -> None:
    c, _, _ = desk
    pk = _pk(db, HOSTILE_IP)
    page = c.get(f"/incidents/{pk}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "{{7*7}}&lt;script&gt;alert(4)&lt;/script&gt;" in page  # the evidence line, escaped, not 49
    with db.session() as session:
        (mid,) = [m.pk for m in message_store.list_messages(session) if m.subject == HOSTILE_SUBJECT]
    msg = c.get(f"/messages/{mid}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in msg and "{{7*7}}" in msg and "<script>alert" not in msg
    assert HOSTILE_EVIDENCE_MARK not in msg


def test_api_shapes_equal_the_cli_json(desk: tuple[TestClient, str, str], db: Database) -> None:
    c, handler, viewer = desk
    auth = {"Authorization": f"Bearer {viewer}"}
    pk = _pk(db, "203.0.113.45")
    with db.session() as session:
        cli_list = [summary_json(i) for i in incident_store.list_incidents(session)]
        cli_detail = detail_json(incident_store.get_incident(session, pk))  # type: ignore[arg-type]
        cli_messages = [message_json(m) for m in message_store.list_messages(session)]
    assert c.get("/api/v1/incidents", headers=auth).json() == cli_list
    assert c.get(f"/api/v1/incidents/{pk}", headers=auth).json() == cli_detail
    assert c.get("/api/v1/messages", headers=auth).json() == cli_messages
    r = c.get("/api/v1/incidents", params={"cidr": "203.0.113.0/24"}, headers=auth)
    assert r.json() and all(i["key"].startswith("203.0.113.") for i in r.json())
    r = c.post(f"/api/v1/incidents/{pk}/state", json={"state": "triage", "note": "api"}, headers=auth)
    assert r.status_code == 403
    hauth = {"Authorization": f"Bearer {handler}"}
    r = c.post(f"/api/v1/incidents/{pk}/state", json={"state": "triage", "note": "api"}, headers=hauth)
    assert (
        r.status_code == 200 and r.json()["state"] == "triage" and r.json()["events"][-1]["actor"] == "hana"
    )
    r = c.post(f"/api/v1/incidents/{pk}/state", json={"state": "new", "note": "x"}, headers=hauth)
    assert r.status_code == 409
    assert c.get("/api/v1/incidents/999999", headers=auth).status_code == 404
