"""Replies about our tickets, and our own mail coming back: timeline entries, never reports.

A message is correspondence when its subject carries one of our ticket tags, or its
``In-Reply-To``/``References`` (or a forwarded/bounced message inside it) name a
Message-ID of our outbox, or its own Message-ID is one of ours (a copy of what we sent).
It is written to the incident's timeline and stored as `non_incident` (never grouped,
never acknowledged: no loop). Automated mail (a bounce of our acknowledgement) keeps its
verdict and is logged as well; a delivery status notification (RFC 3464) about our mail
is also marked on its outbox row (bounces.py). Spam and a handler's own verdict are left
alone. Every event is written once per message: a replay logs nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.models import Analysis, ParsedMessage
from abusebox.core.reasons import Reason
from abusebox.outbox.bounces import Dsn, parse_dsn
from abusebox.outbox.compose import one_line, safe_msgid
from abusebox.outbox.tickets import tickets_in
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store import outbox as outbox_store
from abusebox.store import outbox_facts
from abusebox.store.outbox_facts import message_logged
from abusebox.store.raw import RawUnavailable, read_raw

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
        created = outbox_facts.incident_created(session, pk)
        if created is not None and created.year == year:
            tagged.append(pk)
    if tagged:
        return Correspondence(tuple(sorted(set(tagged))), "the subject carries our ticket tag")
    return None


def _may_be_dsn(parsed: ParsedMessage) -> bool:
    """Whether the top Content-Type can say ``report-type=delivery-status`` (parse_dsn decides).

    A header that does not hold the words, nor an RFC 2231 form of the parameter that could
    spell them in pieces, cannot: most multipart/report mail an abuse desk gets is ARF, and
    its stored bytes are not read and parsed again for nothing.
    """
    value = (parsed.header("Content-Type") or "").lower()
    return not value or "delivery-status" in value or "report-type*" in value


def _dsns(session: Session, settings: Settings, items: list[tuple[int, Analysis]]) -> dict[int, Dsn]:
    """The delivery status notifications among ``items``, read from their stored bytes.

    The analysis that reaches the writer carries no MIME tree (it crossed a process
    boundary), and DSNs are few: their raw bytes are read again here.
    """
    out: dict[int, Dsn] = {}
    for pk, analysis in items:
        if analysis.parsed.content_type != "multipart/report" or analysis.triage.desk is not None:
            continue
        if not _may_be_dsn(analysis.parsed):
            continue  # an ARF complaint or a read receipt: multipart/report, never a DSN
        try:
            dsn = parse_dsn(read_raw(settings, session, pk))
        except (KeyError, RawUnavailable, RecursionError, ValueError, LookupError):
            continue  # pruned, or bytes the stdlib cannot take apart: no link, never a crash
        if dsn is not None and dsn.original_message_id:
            out[pk] = dsn
    return out


def apply(session: Session, settings: Settings, items: list[tuple[int, Analysis]]) -> list[Analysis]:
    """The analyses with correspondence taken out of the report queue, logged on the timelines.

    Idempotent: a replayed message adds no second timeline event and no second mark.
    """
    dsns = _dsns(session, settings, items)
    named: list[str] = [d.original_message_id for d in dsns.values() if d.original_message_id]
    for _pk, analysis in items:
        answers, own = _ids(analysis.parsed)
        named += answers + own
    ours = outbox_store.by_message_ids(session, named)  # one query for the batch
    out: list[Analysis] = []
    for pk, analysis in items:
        if analysis.triage.desk is not None or analysis.verdict == "spam":
            out.append(analysis)
            continue
        dsn = dsns.get(pk)
        found: Correspondence | None
        if dsn is not None and dsn.original_message_id in ours:
            found = _bounce(session, pk, dsn)
        else:
            found = detect(session, settings, analysis, ours)
            if found is not None:
                _log(session, pk, analysis, found)
        if found is None:
            out.append(analysis)
            continue
        if not message_logged(session, "correspondence", pk):
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


def _log(session: Session, pk: int, analysis: Analysis, found: Correspondence) -> None:
    """One ``correspondence`` event per incident and message, however often it is replayed."""
    detail = {
        "message": pk,
        "from": one_line(analysis.parsed.from_addr or "", 320),
        "subject": one_line(analysis.parsed.subject or "", 200),
        "why": found.why,
        "verdict": analysis.verdict,
    }
    done = outbox_facts.logged_for_message(session, "correspondence", pk, list(found.incidents))
    for incident_pk in found.incidents:
        if incident_pk not in done:
            incident_store.add_event(session, incident_pk, ACTOR, "correspondence", detail)


def _bounce(session: Session, pk: int, dsn: Dsn) -> Correspondence | None:
    """A DSN about one of our mails: marked on its row and on its incidents' timelines.

    A permanent failure (``Action: failed``, ``Status: 5.x.x``) of every recipient makes the
    row ``failed`` (the desk must find another way to reach them); a delay, or a failure of
    only some recipients, keeps it ``sent`` with the DSN's words in ``last_error``.
    """
    row = outbox_store.by_message_id(session, dsn.original_message_id or "")
    if row is None:
        return None
    recipients = {a.strip().lower() for a in row.to}
    failed = {r.address for r in dsn.failed}
    permanent = bool(failed) and (recipients <= failed or len(recipients) == 1)
    if permanent:
        error = f"bounced (DSN message {pk}): {dsn.describe()}"
    elif failed:
        error = f"bounced for some recipients (DSN message {pk}): {dsn.describe()}"
    else:
        error = f"delivery status (DSN message {pk}): {dsn.describe()}"
    if failed or any(r.action == "delayed" for r in dsn.recipients):
        outbox_store.record_bounce(session, row.id, error[:1000], failed=permanent)
    why = f"a delivery status notification about our mail (outbox #{row.id})"
    found = Correspondence(tuple(row.incidents), why)
    extra = {"outbox": row.id, "kind": row.kind, "permanent": permanent, "dsn": dsn.describe()}
    done = outbox_facts.logged_for_message(session, "outbox_bounced", pk, row.incidents)
    for incident_pk in row.incidents:
        if incident_pk not in done:
            incident_store.add_event(session, incident_pk, ACTOR, "outbox_bounced", {"message": pk, **extra})
    return found
