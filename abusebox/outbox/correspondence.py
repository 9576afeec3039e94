"""Replies about our tickets, and our own mail coming back: timeline entries, never reports.

A message is correspondence when its subject carries one of our ticket tags, or its
``In-Reply-To``/``References`` (or a forwarded/bounced message inside it) name a
Message-ID of our outbox, or its own Message-ID is one of ours (a copy of what we sent).
It is written to the incident's timeline and stored as `non_incident` (never grouped,
never acknowledged: no loop). Automated mail (a bounce of our acknowledgement) keeps its
verdict and is logged as well; spam and a handler's own verdict are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.models import Analysis, ParsedMessage
from abusebox.core.reasons import Reason
from abusebox.outbox.compose import one_line, safe_msgid
from abusebox.outbox.tickets import tickets_in
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store import outbox as outbox_store

ACTOR = "outbox"
STAGE = "outbox"
RULE = "correspondence"


@dataclass(frozen=True)
class Correspondence:
    incidents: tuple[int, ...]
    why: str


def _ids(parsed: ParsedMessage) -> tuple[list[str], list[str]]:
    """(Message-IDs this message answers, its own and its nested messages' Message-IDs)."""
    answers: list[str] = []
    for name in ("In-Reply-To", "References"):
        for value in parsed.header_all(name):
            answers += [m for m in (safe_msgid(t) for t in value.split()) if m]
    own = [m for m in [safe_msgid(parsed.message_id)] if m]
    for nested in parsed.nested[:10]:
        own += [m for m in [safe_msgid(nested.message_id)] if m]
    return answers, own


def detect(
    session: Session, settings: Settings, analysis: Analysis, ours: dict[str, list[int]]
) -> Correspondence | None:
    """``ours``: Message-ID -> incidents of our mails among the IDs this batch names."""
    parsed = analysis.parsed
    answers, own = _ids(parsed)
    copies = [ours[m] for m in own if m in ours]
    if copies:
        found = tuple(sorted({i for incidents in copies for i in incidents}))
        return Correspondence(found, "our own mail came back (its Message-ID is one of ours)")
    replies = [ours[m] for m in answers if m in ours]
    if replies:
        found = tuple(sorted({i for incidents in replies for i in incidents}))
        return Correspondence(found, "a reply to our mail (In-Reply-To/References)")
    tagged: list[int] = []
    for year, pk in tickets_in(parsed.subject or "", settings.mail)[:10]:
        created = outbox_store.incident_created(session, pk)
        if created is not None and created.year == year:
            tagged.append(pk)
    if tagged:
        return Correspondence(tuple(sorted(set(tagged))), "the subject carries our ticket tag")
    return None


def apply(session: Session, settings: Settings, items: list[tuple[int, Analysis]]) -> list[Analysis]:
    """The analyses with correspondence taken out of the report queue, logged on the timelines."""
    named: list[str] = []
    for _pk, analysis in items:
        answers, own = _ids(analysis.parsed)
        named += answers + own
    ours = outbox_store.by_message_ids(session, named)  # one query for the batch
    out: list[Analysis] = []
    for pk, analysis in items:
        if analysis.triage.desk is not None or analysis.verdict == "spam":
            out.append(analysis)
            continue
        found = detect(session, settings, analysis, ours)
        if found is None:
            out.append(analysis)
            continue
        detail = {
            "message": pk,
            "from": one_line(analysis.parsed.from_addr or "", 320),
            "subject": one_line(analysis.parsed.subject or "", 200),
            "why": found.why,
            "verdict": analysis.verdict,
        }
        for incident_pk in found.incidents:
            incident_store.add_event(session, incident_pk, ACTOR, "correspondence", detail)
        message_store.add_event(
            session, pk, ACTOR, "correspondence", {"incidents": list(found.incidents), "why": found.why}
        )
        if analysis.verdict == "automated":
            out.append(analysis)
            continue
        cited = ", ".join(f"#{i}" for i in found.incidents) or "(none)"
        text = f"correspondence on incident {cited}: {found.why}"
        reason = Reason(STAGE, RULE, None, text)
        triage = replace(analysis.triage, verdict="non_incident", reasons=[reason, *analysis.triage.reasons])
        out.append(replace(analysis, triage=triage))
    return out
