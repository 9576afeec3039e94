"""The queue filtered by the [[forward]] rule or recipient an incident was forwarded to, in the
page and in GET /api/v1/incidents; only forwards actually sent count (SQLite, PostgreSQL)."""

from __future__ import annotations

from outbox_helpers import mail_settings
from paths import EXAMPLES
from smtp_server import SmtpServer
from web_support import add_user, client, csrf_of, login

from abusebox.core.config import Settings
from abusebox.outbox.compose import Outgoing, new_message_id
from abusebox.outbox.queue import enqueue
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.sources.local import iter_path
from abusebox.store import incidents as incident_store
from abusebox.store.db import Database


def test_queue_filter_by_forward_rule_and_recipient(
    settings: Settings, db: Database, smtp: SmtpServer
) -> None:
    settings = mail_settings(settings, smtp)
    with AnalyzerPool(settings) as pool:
        list(Pipeline(settings, db, pool).ingest(iter_path(EXAMPLES, "examples")))
    with db.session() as session:
        incidents = incident_store.list_incidents(session)
        assert len(incidents) >= 3
        sent_pk, draft_pk, other_pk = (i.pk for i in incidents[:3])
        for pk, status, rule, to in (
            (sent_pk, "approved", "jpcert", "incident@jpcert.example"),
            (draft_pk, "draft", "jpcert", "incident@jpcert.example"),  # not forwarded yet
            (other_pk, "approved", "krcert", "cert@krcert.example"),
        ):
            enqueue(
                session,
                settings,
                Outgoing(to=[to], subject=f"fwd {pk}", body="b\n", message_id=new_message_id(settings.mail)),
                kind="forward",
                status=status,
                actor="test",
                rule=rule,
                cap_key=f"forward:{rule}:{pk}",
                incidents=(pk,),
            )
    token = add_user(db, "hana", "handler")
    c = client(settings, db)
    login(c, "hana")
    r = c.post("/outbox/send", data={"csrf_token": csrf_of(c.get("/outbox").text)})
    assert "sent+2" in r.headers["location"]
    smtp.wait_for(2)
    page = c.get("/incidents", params={"forwarded_to": "jpcert"})
    assert f'href="/incidents/{sent_pk}"' in page.text
    assert (
        f'href="/incidents/{draft_pk}"' not in page.text and f'href="/incidents/{other_pk}"' not in page.text
    )
    # The filter offers the rules and recipients forwarded to.
    assert (
        '<option value="jpcert" selected>' in page.text and '<option value="cert@krcert.example"' in page.text
    )
    auth = {"Authorization": f"Bearer {token}"}
    r = c.get("/api/v1/incidents", params={"forwarded_to": "CERT@krcert.example"}, headers=auth)
    assert (
        r.status_code == 200
        and [i["id"] for i in r.json()] == [other_pk]
        and r.headers["x-total-count"] == "1"
    )
    r = c.get("/api/v1/incidents", params={"forwarded_to": "nobody@example.org"}, headers=auth)
    assert r.json() == [] and r.headers["x-total-count"] == "0"
