"""Forwarding by routing rules (``[[forward]]``): JPCERT/CC, a national CERT, an abuse contact.

A rule matches on category, the source's RDAP country and ours/external; the first
matching rule wins unless the handler names one. Only an incident a handler moved to
`contacting` is forwarded, or one an ``auto = true`` rule covers. A rule forwards an
incident once; the JPCERT/CC format follows the layout of its incident report form.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.mail_config import ForwardRule
from abusebox.outbox.compose import Outgoing, new_message_id
from abusebox.outbox.drafts import context
from abusebox.outbox.queue import enqueue
from abusebox.outbox.templates import language_of, render
from abusebox.outbox.tickets import tag_for, ticket_number
from abusebox.store import incidents as incident_store
from abusebox.store import outbox as outbox_store
from abusebox.store import outbox_facts, routing
from abusebox.store.incidents import IncidentDetail

log = logging.getLogger(__name__)


class ForwardError(ValueError):
    """This incident cannot be forwarded (no rule, wrong state, already forwarded)."""


@dataclass(frozen=True)
class Forward:
    rule: str
    to: list[str]
    subject: str
    body: str
    language: str
    charset: str

    def as_text(self) -> str:
        return f"To: {', '.join(self.to)}\nSubject: {self.subject}\n\n{self.body}"


def matches(rule: ForwardRule, detail: IncidentDetail) -> bool:
    if rule.category and (detail.category or "other") not in rule.category:
        return False
    if rule.country and (detail.country or "").upper() not in {c.upper() for c in rule.country}:
        return False
    if rule.ours == "ours" and not detail.ours:
        return False
    return not (rule.ours == "external" and detail.ours)


def choose(settings: Settings, detail: IncidentDetail, name: str | None) -> ForwardRule:
    if name is not None:
        for rule in settings.forward:
            if rule.name == name:
                return rule
        raise ForwardError(f"no [[forward]] rule named {name!r}")
    for rule in settings.forward:
        if matches(rule, detail):
            return rule
    raise ForwardError(f"no [[forward]] rule matches incident {detail.pk}")


def cap_key(rule: ForwardRule, incident_pk: int) -> str:
    return f"forward:{rule.name}:{incident_pk}"


def render_forward(
    settings: Settings, detail: IncidentDetail, rule: ForwardRule, created: datetime
) -> Forward:
    to = list(dict.fromkeys([*rule.to, *(detail.abuse_contacts if rule.to_abuse_contact else [])]))
    if not to:
        raise ForwardError(
            f"rule {rule.name!r}: no recipient (no abuse contact known for incident {detail.pk})"
        )
    language = language_of(rule.language, settings.mail.language)
    ticket = ticket_number(detail.pk, created)
    values = context(detail, settings, None) | {
        "ticket": ticket,
        "purpose": rule.purpose,
        "contact_name": settings.mail.contact_name,
        "department": settings.mail.department,
    }
    template = f"{rule.template}-jpcert" if rule.format == "jpcert" else rule.template
    body = render(template, language, values)
    what = values["category_ja"] if language == "ja" else values["category"]
    subject = f"{tag_for(settings.mail, ticket)} {what}: {', '.join(detail.sources[:3]) or detail.group_key}"
    return Forward(rule.name, to, subject, body, language, rule.charset)


def forward(
    session: Session,
    settings: Settings,
    detail: IncidentDetail,
    rule: ForwardRule,
    actor: str,
    *,
    dry_run: bool = False,
) -> tuple[Forward, int | None]:
    """Queue the forward of an incident (approved: the handler's act, or an auto rule's)."""
    if detail.state != "contacting" and not rule.auto:
        raise ForwardError(
            f"incident {detail.pk} is {detail.state}: move it to contacting first (or use an auto rule)"
        )
    created = outbox_facts.incident_created(session, detail.pk)
    assert created is not None
    done = [pk for pk, status in outbox_store.by_cap_key(session, "forward", cap_key(rule, detail.pk))
            if status != "discarded"]  # fmt: skip
    if done:
        raise ForwardError(
            f"incident {detail.pk} was already forwarded by rule {rule.name!r} (outbox {done[0]})"
        )
    mail = render_forward(settings, detail, rule, created)
    if dry_run:
        return mail, None
    out = Outgoing(
        to=mail.to,
        subject=mail.subject,
        body=mail.body,
        message_id=new_message_id(settings.mail),
        charset=mail.charset,
        auto_submitted=None if not rule.auto else "auto-generated",
    )
    pk = enqueue(
        session,
        settings,
        out,
        kind="forward",
        status="approved",
        actor=actor,
        language=mail.language,
        rule=rule.name,
        cap_key=cap_key(rule, detail.pk),
        incidents=(detail.pk,),
    )
    return mail, pk


def auto_forward(session: Session, settings: Settings) -> list[int]:
    """Forward what each ``auto = true`` rule covers and has not forwarded; the outbox pks."""
    made: list[int] = []
    for rule in settings.forward:
        if not rule.auto:
            continue
        pks = routing.forward_candidates(
            session, rule.name, categories=rule.category, countries=rule.country, ours=rule.ours
        )
        for pk in pks:
            detail = incident_store.get_incident(session, pk)
            if detail is None or not detail.observations or not matches(rule, detail):
                continue
            try:
                made.append(forward(session, settings, detail, rule, f"rule:{rule.name}")[1] or 0)
            except ForwardError as exc:  # e.g. no abuse contact known yet: try again next time
                log.info("auto-forward %s of incident %d: %s", rule.name, pk, exc)
    return made
