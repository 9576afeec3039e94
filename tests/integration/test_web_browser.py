"""The desk in a real browser: headless Debian chromium driven by Playwright (no browser download).

Screenshots of the dashboard, a queue, an incident page, the statistics page, an HTML-only
report and the outbox after sending are saved under test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hostile_web import HOSTILE_IP, HOSTILE_SUBJECT, HTML_MARK, write_hostile, write_html_hostile
from outbox_helpers import mail_settings
from paths import EXAMPLES, REPO
from services import unavailable
from smtp_server import SmtpServer
from web_support import PASSWORD, add_user

from abusebox.core.config import Settings
from abusebox.outbox.compose import Outgoing, new_message_id
from abusebox.outbox.queue import enqueue
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.sources.local import iter_path
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store import outbox as outbox_store
from abusebox.store.db import Database
from abusebox.web.server import BackgroundServer

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "test-artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(settings: Settings, db: Database, tmp_path: Path) -> Iterator[str]:
    if not CHROMIUM.exists():
        unavailable("Debian chromium (/usr/bin/chromium) is not installed")
    with AnalyzerPool(settings) as pool:
        pipeline = Pipeline(settings, db, pool)
        list(pipeline.ingest(iter_path(EXAMPLES, "examples")))
        list(pipeline.ingest(iter_path(write_hostile(tmp_path), "hostile")))
    add_user(db, "hana", "handler")
    port = _free_port()
    server = BackgroundServer(settings, db, "127.0.0.1", port)
    server.start()
    assert server.wait_started(), "the web server did not start"
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_a_handler_works_an_incident_in_the_browser(served: str, db: Database, db_url: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    backend = "pg" if db_url.startswith("postgresql") else "sqlite"
    with db.session() as session:
        pk = next(i.pk for i in incident_store.list_incidents(session) if i.group_key == "203.0.113.45")
        hostile_pk = next(i.pk for i in incident_store.list_incidents(session) if i.group_key == HOSTILE_IP)
    dialogs: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page(locale="en-US", timezone_id="Asia/Tokyo")
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        page.goto(served + "/")
        assert page.url.startswith(served + "/login")
        page.fill("input[name=username]", "hana")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_url(served + "/")
        assert page.locator("h1").inner_text() == "Dashboard"
        page.screenshot(path=str(SHOTS / f"dashboard-{backend}.png"), full_page=True)

        page.goto(served + "/incidents?state=new&sort=reports")
        assert page.locator(f'a[href="/incidents/{pk}"]').first.is_visible()
        page.screenshot(path=str(SHOTS / f"queue-{backend}.png"), full_page=True)

        page.click(f'a[href="/incidents/{pk}"] >> nth=0')
        page.wait_for_url(f"{served}/incidents/{pk}")
        page.select_option("#state", "triage")
        page.fill("#note", "checking the logs")
        page.click("#change-state")
        page.wait_for_url(f"{served}/incidents/{pk}?notice=done")
        timeline = page.locator("ol.timeline").inner_text()
        assert "hana" in timeline and "checking the logs" in timeline
        # The viewer's zone (Asia/Tokyo) next to UTC, filled in by the vendored script.
        local = page.locator("time.local").first.inner_text()
        assert local and not local.endswith("Z")
        page.screenshot(path=str(SHOTS / f"incident-{backend}.png"), full_page=True)

        page.goto(f"{served}/incidents/{hostile_pk}")
        assert "{{7*7}}<script>alert(4)</script>" in page.locator("code.evidence").first.inner_text()
        assert HOSTILE_SUBJECT in page.locator(".report .subject").first.inner_text()
        assert page.locator("main script").count() == 0 and page.locator("main img").count() == 0

        page.fill("header input[name=q]", "203.0.113.0/24")
        page.press("header input[name=q]", "Enter")
        page.wait_for_url(served + "/search?q=203.0.113.0%2F24")
        assert "203.0.113.45" in page.locator("main").inner_text()

        page.goto(served + "/stats")
        assert page.locator("svg.chart").count() >= 2
        page.screenshot(path=str(SHOTS / f"stats-{backend}.png"), full_page=True)

        page.click("#logout")
        page.wait_for_url(served + "/login")
        page.goto(served + "/incidents")
        assert page.url.startswith(served + "/login")
        browser.close()
    assert dialogs == [], f"script ran: {dialogs}"
    assert not [e for e in errors if "Content Security Policy" in e], errors
    with db.session() as session:
        detail = incident_store.get_incident(session, pk)
    assert detail is not None and detail.state == "triage"


class _Beacon:
    """An HTTP server that only records what asked it for anything (nothing should)."""

    def __init__(self) -> None:
        hits: list[str] = []
        self.hits = hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Beacon:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_an_html_report_stays_inert_and_an_outbox_row_is_approved_and_sent(
    settings: Settings, db: Database, db_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        unavailable("Debian chromium (/usr/bin/chromium) is not installed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    backend = "pg" if db_url.startswith("postgresql") else "sqlite"
    settings = mail_settings(settings, smtp)
    with _Beacon() as beacon:
        with AnalyzerPool(settings) as pool:
            pipeline = Pipeline(settings, db, pool)
            list(pipeline.ingest(iter_path(EXAMPLES, "examples")))
            list(pipeline.ingest(iter_path(write_html_hostile(tmp_path, beacon.url), "hostile")))
        with db.session() as session:
            html_pk = next(
                m.pk
                for m in message_store.list_messages(session, limit=100)
                if m.subject == "HTML-only report"
            )
            incident = next(
                i.pk for i in incident_store.list_incidents(session) if i.group_key == "203.0.113.45"
            )
            row = enqueue(
                session,
                settings,
                Outgoing(
                    to=["abuse@isp.example"],
                    subject="Abuse report for 203.0.113.45",
                    body="Please look into it.\n",
                    message_id=new_message_id(settings.mail),
                ),
                kind="notify",
                status="draft",
                actor="test",
                incidents=(incident,),
            )
        add_user(db, "hana", "handler")
        port = _free_port()
        server = BackgroundServer(settings, db, "127.0.0.1", port)
        server.start()
        assert server.wait_started(), "the web server did not start"
        served = f"http://127.0.0.1:{port}"
        dialogs: list[str] = []
        requested: list[str] = []
        try:
            with sync_api.sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
                )
                page = browser.new_page(locale="en-US")
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.on("request", lambda r: requested.append(r.url))
                page.goto(served + "/login")
                page.fill("input[name=username]", "hana")
                page.fill("input[name=password]", PASSWORD)
                page.click("form.login button[type=submit]")
                page.wait_for_url(served + "/")

                # The HTML-only report: its text, and the cleaned markup in the sandboxed frame.
                page.goto(f"{served}/messages/{html_pk}")
                assert HTML_MARK in page.locator("#extracted-text").inner_text()
                page.click("#html-view summary")
                frame = page.frame_locator("iframe.report-html")
                assert HTML_MARK in frame.locator("body").inner_text()
                assert page.locator("iframe.report-html").get_attribute("sandbox") == ""
                page.wait_for_timeout(500)  # a refresh or a late load would come now
                assert page.title() != "pwned"
                page.screenshot(path=str(SHOTS / f"html-report-{backend}.png"), full_page=True)
                # Opened on its own, the frame's route is no more alive.
                page.goto(f"{served}/messages/{html_pk}/html")
                assert HTML_MARK in page.locator("body").inner_text() and page.title() != "pwned"

                # Approve the draft on the outbox page, then send it: aiosmtpd receives it once.
                page.goto(served + "/outbox?status=draft")
                page.click(f"#outbox-{row} button.approve")
                page.wait_for_url("**/outbox**")
                page.goto(served + "/outbox")
                assert page.locator(f"#outbox-{row} .badge").inner_text() == "approved"
                page.click("#send-now")
                page.wait_for_url("**/outbox**")
                smtp.wait_for(1)
                page.goto(served + "/outbox")
                assert page.locator(f"#outbox-{row} .badge").inner_text() == "sent"
                page.screenshot(path=str(SHOTS / f"outbox-sent-{backend}.png"), full_page=True)
                browser.close()
        finally:
            server.stop()
    assert dialogs == [], f"script ran: {dialogs}"
    assert beacon.hits == [], f"remote loads: {beacon.hits}"
    assert not [u for u in requested if not u.startswith(served)], requested
    assert [m.rcpt_tos for m in smtp.messages] == [["abuse@isp.example"]]
    with db.session() as session:
        item = outbox_store.get(session, row)
    assert item is not None and item.status == "sent" and item.approved_by == "hana"
