"""The desk's read model of stored messages: what `messages list|show` print, as JSON or text.

Built from the rows the store returns, so the CLI and the web UI/API show the same facts
under the same keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from abusebox.core.models import PgpResult, format_utc
from abusebox.core.reasons import Reason, reasons_to_json
from abusebox.pgp.stored import from_stored, stored_detail
from abusebox.store import messages as message_store
from abusebox.store.events import Event
from abusebox.store.messages import MessageSummary


def summary_json(summary: MessageSummary) -> dict[str, Any]:
    """One line of the message list."""
    return {
        "id": summary.pk,
        "sha256": summary.sha256,
        "size": summary.size,
        "source": summary.source,
        "source_id": summary.source_id,
        "received_at": format_utc(summary.received_at),
        "from": summary.from_addr,
        "subject": summary.subject,
        "status": summary.status,
        "status_reason": summary.status_reason,
        "failed_stage": summary.failed_stage,
        "verdict": summary.verdict,
        "category": summary.category,
        "format": summary.format,
        "pgp_status": summary.pgp_status,
    }


def deciding_reason(summary: MessageSummary) -> str:
    """Why a message has its verdict, in one line: the ledger's reason for a message that
    was not processed, else the verdict summary and the strongest rule behind it."""
    if summary.status != "processed":
        return summary.status_reason or ""
    reasons = summary.reasons
    if not reasons:
        return summary.status_reason or ""
    desk = next((r for r in reasons if r.stage == "desk"), None)
    if desk is not None:
        return f"desk: {desk.text}"
    verdict = next((r for r in reasons if r.rule == "verdict"), None)
    scored = [r for r in reasons if r.score is not None and r.rule != "verdict"]
    if summary.verdict and summary.verdict != "report":
        scored = [r for r in scored if (r.score or 0) > 0] or scored
    strongest = max(scored, key=lambda r: abs(r.score or 0.0), default=None)
    parts = [verdict.text] if verdict is not None else []
    if strongest is not None:
        parts.append(f"{strongest.rule} {strongest.score:+g}: {strongest.text}")
    return "; ".join(parts)


def event_json(event: Event) -> dict[str, Any]:
    """One entry of a work log (a message's or an incident's)."""
    return {"at": format_utc(event.at), "actor": event.actor, "action": event.action, "detail": event.detail}


@dataclass(frozen=True)
class MessageView:
    """One message for a handler: its ledger row, why it was decided so, its PGP facts, its log."""

    summary: MessageSummary
    events: list[Event]
    reasons: list[Reason]
    traceback: str | None
    pgp: PgpResult | None  # None before the message was analysed

    def as_json(self) -> dict[str, Any]:
        data = summary_json(self.summary)
        data["events"] = [event_json(e) for e in self.events]
        data["reasons"] = [str(r) for r in self.reasons]  # as displayed: what scripts read
        data["reason_details"] = reasons_to_json(self.reasons)
        data["traceback"] = self.traceback
        if self.pgp is not None:
            data["pgp"] = {**self.pgp.contract(), **stored_detail(self.pgp), "verified": self.pgp.verified}
        return data


def message_view(session: Session, pk: int) -> MessageView | None:
    summary = message_store.get_message(session, pk)
    if summary is None:
        return None
    stored = message_store.report_pgp(session, pk)
    pgp = (
        None
        if stored is None
        else from_stored(
            stored.status, stored.fingerprint, stored.signer_matches_from, stored.encrypted, stored.detail
        )
    )
    return MessageView(
        summary,
        message_store.message_events(session, pk),
        message_store.report_reasons(session, pk),
        message_store.message_traceback(session, pk),
        pgp,
    )
