"""Owner notifications: a draft per incident in our constituency, for a handler to approve.

Created when a committed report touches an incident of ours that has no notification yet;
while it is still a draft, later reports refresh its text (same Message-ID). The config's
per-category and per-owner policy (``notify_auto_approve_*``) may create it approved.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.outbox.compose import Outgoing, charset_for, new_message_id
from abusebox.outbox.drafts import render_notification
from abusebox.outbox.queue import compose, enqueue
from abusebox.outbox.tickets import tag_for, ticket_number
from abusebox.pgp.sign import OutgoingPgpError
from abusebox.store import incidents as incident_store
from abusebox.store import outbox as outbox_store
from abusebox.store import outbox_facts

ACTOR = "outbox"

log = logging.getLogger(__name__)


def cap_key(incident_pk: int) -> str:
    return f"incident:{incident_pk}"


def auto_approved(settings: Settings, category: str | None, owner: str | None) -> bool:
    mail = settings.mail
    return (category or "other") in mail.notify_auto_approve_categories or (
        owner is not None and owner in mail.notify_auto_approve_owners
    )


def notify(session: Session, settings: Settings, incident_pks: list[int], now: datetime) -> list[int]:
    """Draft (or refresh) the owner notification of each incident of ours; the new outbox pks."""
    made: list[int] = []
    for row in outbox_facts.incident_facts(session, incident_pks):
        if not row.ours or row.merged_into_pk is not None:
            continue
        existing = outbox_store.by_cap_key(session, "notify", cap_key(row.id))
        if existing and existing[-1][1] != "draft":
            continue  # approved, sent, failed or discarded: a handler has seen it
        detail = incident_store.get_incident(session, row.id)
        if detail is None or not detail.observations:
            continue
        tag = tag_for(settings.mail, ticket_number(row.id, row.created_at))
        draft = render_notification(detail, settings, tag=tag)
        if not draft.to:
            continue  # no contact configured for the owner: `abusebox draft` still shows it
        out = Outgoing(
            to=draft.to,
            subject=draft.subject,
            body=draft.body,
            message_id=new_message_id(settings.mail),
            charset=charset_for(draft.to, settings.mail),
            auto_submitted=None,  # a person approves and stands behind it
        )
        if existing:
            pk = existing[-1][0]
            item = outbox_store.get(session, pk)
            if item is not None:
                out.message_id = item.message_id
                try:
                    subject, raw = compose(settings, out)
                except OutgoingPgpError as exc:  # keep the draft as it was; the desk sees why
                    log.warning("notification %d not refreshed: %s", pk, exc)
                    continue
                outbox_store.replace_content(session, pk, draft.to, subject, draft.body, raw)
            continue
        approved = auto_approved(settings, row.category, row.owner)
        made.append(
            enqueue(
                session,
                settings,
                out,
                kind="notify",
                status="approved" if approved else "draft",
                actor="policy" if approved else ACTOR,
                language=draft.language,
                cap_key=cap_key(row.id),
                incidents=(row.id,),
                now=now,
            )
        )
    return made
