"""Acknowledgements to reporters (RFC 3834), written in the transaction that stores the report.

An acknowledgement is an automatic reply, so it is sent only where a reply is wanted and
cannot start a loop or reach an innocent party: only for verdict `report`; never to
automated or list mail, to an ``Auto-Submitted`` message, to a daemon or noreply-style
address or our own addresses; only to a sender our MTA authenticated (DMARC pass in the
``Authentication-Results`` of ``triage.authserv_id``) or whose valid PGP signature binds the
From address; at most ``ack_per_sender`` per sender per window unless the report opens a
new incident, and ``ack_per_hour`` in all. Each one that is not sent says why on the message.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.models import Analysis, format_utc
from abusebox.outbox.compose import Outgoing, charset_for, new_message_id, one_line, safe_msgid
from abusebox.outbox.queue import enqueue
from abusebox.outbox.templates import language_of, render
from abusebox.outbox.tickets import tag_for, ticket_number
from abusebox.store import messages as message_store
from abusebox.store import outbox as outbox_store
from abusebox.store import outbox_facts
from abusebox.triage.rules.authentication import authserv_id, results

ACTOR = "outbox"
JST = timezone(timedelta(hours=9), "JST")
MAX_SOURCES = 20
# Local parts that are machines, lists or explicitly unanswerable.
_UNANSWERABLE = re.compile(
    r"^(mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?|listserv|majordomo|"
    r"mailman|nobody|root|daemon|owner-.+|.+-(request|bounces?|owner)|.*no[-_.]?reply.*)$",
    re.IGNORECASE,
)
_BULK_PRECEDENCE = {"bulk", "junk", "list"}


def own_addresses(settings: Settings) -> set[str]:
    return {a.strip().lower() for a in [settings.mail.from_address, *settings.mail.own_addresses] if a}


def suppression(analysis: Analysis, settings: Settings) -> str | None:
    """Why no acknowledgement may answer this message (RFC 3834 and our rules), or None."""
    if analysis.verdict != "report":
        return f"verdict {analysis.verdict}: only reports are acknowledged"
    parsed = analysis.parsed
    auto = (parsed.header("Auto-Submitted") or "no").split(";", 1)[0].strip().lower()
    if auto != "no":
        return f"Auto-Submitted: {one_line(auto, 40)} (RFC 3834: never answer automatic mail)"
    if parsed.header("List-Id") or parsed.header("List-Post"):
        return "mailing-list mail (List-Id)"
    precedence = (parsed.header("Precedence") or "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    suppress = (parsed.header("X-Auto-Response-Suppress") or "").lower()
    if any(word in suppress for word in ("all", "autoreply")):
        return "X-Auto-Response-Suppress asks for no automatic reply"
    return_path = parsed.header("Return-Path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        return "null Return-Path: a bounce or other automatic mail"
    if parsed.from_count != 1 or not parsed.from_addr:
        return "not exactly one From address"
    address = parsed.from_addr.strip().lower()
    if address in own_addresses(settings):
        return "our own address"
    if _UNANSWERABLE.match(address.rpartition("@")[0]):
        return f"{one_line(address, 100)} is a daemon, list or noreply address"
    if settings.mail.ack_require_authentication and not authenticated(analysis, settings):
        return "sender not authenticated (no DMARC pass from our MTA, no valid PGP signature by the sender)"
    return None


def authenticated(analysis: Analysis, settings: Settings) -> bool:
    """DMARC pass in our own MTA's topmost Authentication-Results, or a PGP signature by the From."""
    if analysis.pgp.verified:
        return True
    ours = (settings.triage.authserv_id or "").lower()
    if not ours:
        return False
    mine = [h for h in analysis.parsed.header_all("Authentication-Results") if authserv_id(h) == ours]
    return bool(mine) and results(mine[0]).get("dmarc") == "pass"


def acknowledge(
    session: Session,
    settings: Settings,
    messages: list[tuple[int, Analysis]],
    tickets: dict[int, list[outbox_facts.TicketIncident]],
    now: datetime,
) -> list[int]:
    """Queue the acknowledgements a batch of committed messages is owed; return the outbox pks.

    ``tickets``: message pk -> the incidents its observations went to.
    """
    reports = [(pk, a) for pk, a in messages if a.verdict == "report"]
    if not reports:
        return []
    done = outbox_store.answered(session, [pk for pk, _a in reports])
    queued: list[int] = []
    for pk, analysis in reports:
        if pk in done:
            continue  # a replay: the reporter has had theirs
        reason = suppression(analysis, settings) or _capped(session, settings, analysis, tickets.get(pk), now)
        if reason is None and not tickets.get(pk):
            reason = "no incident opened (no offending source found): nothing to cite"
        if reason is not None:
            message_store.add_event(session, pk, ACTOR, "ack_suppressed", {"reason": reason})
            continue
        queued.append(_queue(session, settings, pk, analysis, tickets[pk], now))
    return queued


def _capped(
    session: Session,
    settings: Settings,
    analysis: Analysis,
    incidents: list[outbox_facts.TicketIncident] | None,
    now: datetime,
) -> str | None:
    mail = settings.mail
    if outbox_store.count_since(session, "ack", now - timedelta(hours=1)) >= mail.ack_per_hour:
        return f"global cap: {mail.ack_per_hour} acknowledgements in the last hour"
    opens_new = any(t.report_count <= 1 for t in incidents or [])
    sender = (analysis.parsed.from_addr or "").lower()
    window = now - timedelta(hours=mail.ack_sender_window_hours)
    if not opens_new and outbox_store.count_since(session, "ack", window, sender) >= mail.ack_per_sender:
        return (
            f"per-sender cap: {mail.ack_per_sender} in {mail.ack_sender_window_hours:g} h and no new incident"
        )
    return None


def _queue(
    session: Session,
    settings: Settings,
    pk: int,
    analysis: Analysis,
    incidents: list[outbox_facts.TicketIncident],
    now: datetime,
) -> int:
    parsed = analysis.parsed
    first = incidents[0]
    ticket = ticket_number(first.pk, first.created_at)
    tag = tag_for(settings.mail, ticket)
    original = one_line(parsed.subject or "") or "(no subject)"
    subject_base = original if original.lower().startswith(("re:", "re：")) else f"Re: {original}"
    language = language_of(analysis.language, settings.mail.language)
    sources = list(dict.fromkeys(o.ip for o in analysis.reported_sources()))
    received = parsed.date or now
    body = render(
        "ack",
        language,
        {
            "team": settings.mail.team_name,
            "from_address": settings.mail.from_address,
            "ticket": ticket,
            "tag": tag,
            "original_subject": original,
            "received": format_utc(received),
            "received_jst": received.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S"),
            "sources": sources[:MAX_SOURCES],
            "more_sources": max(0, len(sources) - MAX_SOURCES),
        },
    )
    reporter = (parsed.from_addr or "").strip()
    parent = safe_msgid(parsed.message_id)
    references = [r for r in (parsed.header("References") or "").split() if safe_msgid(r)]
    out = Outgoing(
        to=[reporter],
        subject=f"{subject_base} {tag}",
        body=body,
        message_id=new_message_id(settings.mail),
        charset=charset_for([reporter], settings.mail),
        in_reply_to=parent,
        references=[*references, parent] if parent else [],
        auto_submitted="auto-replied",
    )
    return enqueue(
        session,
        settings,
        out,
        kind="ack",
        status="approved" if settings.mail.send_acknowledgements else "draft",
        actor=ACTOR,
        envelope_from="",  # RFC 3834: automatic replies go out with a null envelope sender
        language=language,
        cap_key=reporter.lower(),
        answers_message_pk=pk,
        incidents=tuple(t.pk for t in incidents),
        reports=(pk,),
        now=now,
    )
