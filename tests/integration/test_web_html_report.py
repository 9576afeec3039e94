"""An HTML-only report on its message page: the extracted text, and the nh3-cleaned markup only
inside a sandboxed frame from its own route with a CSP that runs and loads nothing."""

from __future__ import annotations

from pathlib import Path

from hostile_web import HTML_MARK, write_hostile, write_html_hostile
from web_support import add_user, client, login

from abusebox.core.config import Settings
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.sources.local import iter_path
from abusebox.store import messages as message_store
from abusebox.store.db import Database

BEACON = "http://192.0.2.200:8"


def test_html_only_report_is_text_plus_a_sandboxed_clean_frame(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    write_hostile(tmp_path)
    write_html_hostile(tmp_path, BEACON)
    with AnalyzerPool(settings) as pool:
        list(Pipeline(settings, db, pool).ingest(iter_path(tmp_path, "t")))
    with db.session() as session:
        rows = {m.subject: m.pk for m in message_store.list_messages(session, limit=10)}
    html_pk = rows["HTML-only report"]
    plain_pk = next(pk for subject, pk in rows.items() if subject != "HTML-only report")
    add_user(db, "vic", "viewer")
    c = client(settings, db)
    assert c.get(f"/messages/{html_pk}/html").status_code == 303  # a login first
    login(c, "vic")
    page = c.get(f"/messages/{html_pk}")
    assert page.status_code == 200
    text = page.text.split('id="extracted-text">')[1].split("</pre>")[0]
    assert HTML_MARK in text and "<script" not in text
    assert f'<iframe sandbox src="/messages/{html_pk}/html"' in page.text
    assert "frame-src 'self'" in page.headers["content-security-policy"]
    frame = c.get(f"/messages/{html_pk}/html")
    assert frame.status_code == 200 and HTML_MARK in frame.text
    csp = frame.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "img-src 'none'" in csp and "sandbox" in csp
    assert "script-src" not in csp and frame.headers["x-frame-options"] == "SAMEORIGIN"
    lowered = frame.text.lower()
    for bad in (
        "<script",
        "onload",
        "onerror",
        "javascript:",
        BEACON,
        "<img",
        "<iframe",
        "<link",
        "<meta http",
        "url(",
    ):
        assert bad not in lowered, bad
    # A plain-text message: its text, no frame, and no HTML route.
    plain = c.get(f"/messages/{plain_pk}")
    assert "<iframe" not in plain.text and "frame-src 'none'" in plain.headers["content-security-policy"]
    assert "Please stop it." in plain.text.split('id="extracted-text">')[1]
    assert c.get(f"/messages/{plain_pk}/html").status_code == 404
