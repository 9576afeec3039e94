"""GET /reporters and /reporters/{address}: report counts, the keys that signed, the desk's trust
binding, the keyring's keys and the acknowledgements sent (real gpg; SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from outbox_helpers import ingest
from pgp_support import REPORT, World, message, part_bytes, pgp_mime_signed, text_part
from web_support import add_user, client, login

from abusebox.core.config import Settings
from abusebox.pgp.trust import add_binding
from abusebox.store import messages as message_store
from abusebox.store.db import Database
from abusebox.store.schema import OutboxRow

ALICE = "alice@reporter.example"


def test_reporters_list_and_page(
    settings: Settings, db: Database, w: World, keyring: Callable[..., Path]
) -> None:
    home = keyring("alice")
    add_binding(home, w.fpr["alice"], ALICE)
    settings = replace(settings, pgp=w.settings(home))
    signed = part_bytes(text_part(REPORT))
    raws = [
        message(pgp_mime_signed(signed, w.detach_sign("alice", signed))),
        message(part_bytes(text_part(REPORT.replace("203.0.113.9", "203.0.113.10")))),
        message(part_bytes(text_part(REPORT.replace("203.0.113.9", "198.51.100.20"))), "bob@other.example"),
    ]
    ingest(settings, db, *raws)
    with db.session() as session:
        alice = [m for m in message_store.list_messages(session, limit=50) if m.from_addr == ALICE]
        assert len(alice) == 2
        session.add(
            OutboxRow(
                kind="ack",
                status="sent",
                recipients=[ALICE],
                envelope_from="",
                subject="Re: your report",
                body="",
                raw=b"x",
                message_id="<ack1@test.example>",
                created_by="abusebox",
                answers_message_pk=alice[0].pk,
                sent_at=datetime.now(UTC),
            )
        )
    add_user(db, "vic", "viewer")
    c = client(settings, db)
    login(c, "vic")
    listing = c.get("/reporters")
    assert listing.status_code == 200
    row = listing.text.split(f">{ALICE}</a>")[1].split("</tr>")[0]
    cells = [cell.split(">", 1)[1].split("<", 1)[0] for cell in row.split("<td")[1:]]
    assert cells[:2] == ["2", "1"]  # reports, signed
    assert "trusted" in row and '<td class="num">1</td>' in row  # trust binding, one ack sent
    bob = listing.text.split(">bob@other.example</a>")[1].split("</tr>")[0]
    assert "trusted" not in bob
    assert ALICE not in c.get("/reporters", params={"q": "bob@"}).text
    page = c.get(f"/reporters/{ALICE}")
    assert page.status_code == 200
    keys = page.text.split('id="keys"')[1].split("</table>")[0]
    assert w.fpr["alice"] in keys and "pgp-valid" in keys and "trusted" in keys
    assert w.fpr["alice"] in page.text.split('id="keyring"')[1].split("</ul>")[0]
    acks = page.text.split('id="acks"')[1].split("</table>")[0]
    assert "Re: your report" in acks and f'href="/messages/{alice[0].pk}"' in acks
    assert c.get("/reporters/nobody@example.org").status_code == 404
    api = c.get("/api/v1/reporters", headers={"Authorization": "Bearer x"})
    assert api.status_code == 401
