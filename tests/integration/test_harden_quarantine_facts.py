"""A quarantined message still shows who sent it: header facts come from the raw bytes.

Whatever stage failed (a size limit, a parser, the store), the desk's message list names
the From address, Subject, Message-ID and Date, read from the header block alone with the
same rules as a full parse (the address from the raw header, never from a decoded word).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from abusebox.core.config import LimitSettings, Settings
from abusebox.core.models import RawMessage
from abusebox.parsing.mime import header_facts
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store import messages as message_store
from abusebox.store.db import Database
from abusebox.store.schema import MessageRow

OVERSIZED = (
    b"From: =?utf-8?q?security=40jpcert=2Eor=2Ejp?= <reporter@example.org>\r\n"
    b"Subject: =?iso-2022-jp?b?GyRCJTklLSVjJXMbKEI=?= 203.0.113.5\r\n"
    b"Message-ID: <big-1@example.org>\r\nDate: Thu, 19 Nov 2026 04:00:00 +0000\r\n\r\n"
    + b"203.0.113.5 scanned port 22\r\n"
    * 400
)


def test_a_message_quarantined_by_a_limit_keeps_its_header_facts(settings: Settings, db: Database) -> None:
    limited = replace(settings, limits=replace(settings.limits, max_message_bytes=2_000))
    with AnalyzerPool(limited) as pool:
        (result,) = list(Pipeline(limited, db, pool).ingest([RawMessage(OVERSIZED, "test", "big")]))
    assert result.outcome == "quarantined"
    with db.session() as session:
        (listed,) = message_store.list_messages(session, status="quarantined")
        stored = session.execute(select(MessageRow.message_id_header, MessageRow.date)).one()
    assert listed.from_addr == "reporter@example.org"  # the raw address, not the encoded display name
    assert listed.subject == "スキャン 203.0.113.5"
    assert stored.message_id_header == "<big-1@example.org>"
    assert stored.date == datetime(2026, 11, 19, 4, 0, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_header_facts_never_raise_on_any_bytes(raw: bytes) -> None:
    facts = header_facts(raw, LimitSettings())
    assert facts.from_addr is None or "@" in facts.from_addr
    assert "\n" not in facts.subject and "\r" not in facts.subject
