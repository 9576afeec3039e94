"""The desk's decisions on messages (the `reclassified` message events), for learning."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from abusebox.core.models import DeskDecision
from abusebox.core.reasons import Reason
from abusebox.store.schema import MessageEventRow, MessageRow, ReportRow

RECLASSIFIED = "reclassified"
_CHUNK = 200


@dataclass(frozen=True)
class DecidedMessage:
    pk: int
    raw: bytes | None
    reporter: str | None
    fingerprint: str | None
    verified: bool  # a good signature by the From address over the whole message


def decision_stamp(session: Session) -> tuple[int, int]:
    """(newest decision id, number of decisions): changes whenever the desk decides."""
    newest, count = session.execute(
        select(func.max(MessageEventRow.id), func.count(MessageEventRow.id)).where(
            MessageEventRow.action == RECLASSIFIED
        )
    ).one()
    return int(newest or 0), int(count or 0)


def decision_details(session: Session) -> list[tuple[int, dict[str, object] | None]]:
    """(message pk, event detail) of every decision, oldest first."""
    return [
        (pk, detail)
        for pk, detail in session.execute(
            select(MessageEventRow.message_pk, MessageEventRow.detail)
            .where(MessageEventRow.action == RECLASSIFIED)
            .order_by(MessageEventRow.id)
        )
    ]


def decided_messages(session: Session, pks: list[int]) -> Iterator[DecidedMessage]:
    """The raw bytes and PGP facts of decided messages, read a chunk at a time."""
    for start in range(0, len(pks), _CHUNK):
        rows = session.execute(
            select(
                MessageRow.id,
                MessageRow.raw,
                ReportRow.reporter,
                ReportRow.pgp_fingerprint,
                ReportRow.pgp_status,
                ReportRow.pgp_signer_matches_from,
                ReportRow.pgp_detail,
            )
            .outerjoin(ReportRow, ReportRow.message_pk == MessageRow.id)
            .where(MessageRow.id.in_(pks[start : start + _CHUNK]))
        ).all()
        for pk, raw, reporter, fingerprint, status, matches, detail in rows:
            verified = (
                status == "valid" and matches is True and not (detail or {}).get("partially_signed", False)
            )
            yield DecidedMessage(pk, raw, reporter, fingerprint, verified)


def stored_decision(session: Session, message_pk: int) -> tuple[list[Reason], str | None, str | None] | None:
    """The stored reasons, category and triage's own verdict of a message's report.

    None before analysis.
    """
    row = session.execute(
        select(ReportRow.reasons, ReportRow.category, ReportRow.triage_verdict).where(
            ReportRow.message_pk == message_pk
        )
    ).first()
    return None if row is None else (list(row.reasons or []), row.category, row.triage_verdict)


def set_desk_decision(
    session: Session, message_pk: int, decision: DeskDecision, reasons: list[Reason], category: str | None
) -> None:
    """Record a handler's decision on the stored report, with the reasons shown for it."""
    row = session.scalar(select(ReportRow).where(ReportRow.message_pk == message_pk))
    if row is None:
        raise KeyError(message_pk)
    row.verdict = decision.verdict
    row.verdict_by = decision.handler
    row.triage_verdict = decision.triage_verdict
    row.reasons = reasons
    row.category = category
