"""Internal alerts (責任者・担当者への連絡): tell the on-duty address of incidents that need a person.

An incident of ours, or one of high or critical priority, alerts ``[mail] alert_to`` once,
approved at once (it only goes to our own people), at most ``alert_per_hour`` per hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.models import format_utc
from abusebox.outbox.compose import Outgoing, charset_for, new_message_id
from abusebox.outbox.drafts import CATEGORY_JA
from abusebox.outbox.queue import enqueue
from abusebox.outbox.templates import language_of, render
from abusebox.outbox.tickets import tag_for, ticket_number
from abusebox.store import incidents as incident_store
from abusebox.store import outbox as outbox_store
from abusebox.store import outbox_facts

ACTOR = "outbox"
URGENT = ("high", "critical")


def alert(session: Session, settings: Settings, incident_pks: list[int], now: datetime) -> list[int]:
    mail = settings.mail
    if not mail.alert_to:
        return []
    made: list[int] = []
    for row in outbox_facts.incident_facts(session, incident_pks):
        if row.merged_into_pk is not None or not (row.ours or row.priority in URGENT):
            continue
        key = f"incident:{row.id}"
        if outbox_store.by_cap_key(session, "alert", key):
            continue
        if outbox_store.count_since(session, "alert", now - timedelta(hours=1)) >= mail.alert_per_hour:
            incident_store.add_event(
                session,
                row.id,
                ACTOR,
                "alert_suppressed",
                {"reason": f"{mail.alert_per_hour} alerts in the last hour"},
            )
            continue
        ticket = ticket_number(row.id, row.created_at)
        language = language_of(mail.language, "ja")
        why = "ours" if row.ours else f"priority {row.priority}"
        body = render(
            "alert",
            language,
            {
                "team": mail.team_name,
                "ticket": ticket,
                "incident": row,
                "why": why,
                "category_ja": CATEGORY_JA.get(row.category or "other", "不審な通信"),
                "first_seen": format_utc(row.first_seen),
                "last_seen": format_utc(row.last_seen),
            },
        )
        subject = f"{tag_for(mail, ticket)} alert: {row.category or 'other'} {row.group_key} ({why})"
        out = Outgoing(
            to=list(mail.alert_to),
            subject=subject,
            body=body,
            message_id=new_message_id(mail),
            charset=charset_for(list(mail.alert_to), mail),
        )
        made.append(
            enqueue(
                session,
                settings,
                out,
                kind="alert",
                status="approved",
                actor=ACTOR,
                language=language,
                cap_key=key,
                incidents=(row.id,),
                now=now,
            )
        )
    return made
