"""Messages: the immutable raw evidence, its status ledger and message events.

Every function works in the caller's session (the caller owns the transaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from abusebox.core.models import RawMessage
from abusebox.core.reasons import Reason
from abusebox.store import bulk
from abusebox.store.base import table_of, utcnow
from abusebox.store.events import Event
from abusebox.store.leases import Lease
from abusebox.store.schema import MessageEventRow, MessageRow, ReportRow

_MESSAGES = table_of(MessageRow)
_INSERTS: dict[str, Any] = {}  # dialect name -> statement
# One statement for a whole commit batch (an executemany); bind names must differ from
# the column names. Built once, so its compiled form is cached.
_MARK_PROCESSED = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("b_pk"))
    .values(
        status="processed",
        status_reason=bindparam("b_reason"),
        failed_stage=None,
        traceback=None,
        attempts=_MESSAGES.c.attempts + 1,
        processed_at=bindparam("b_at"),
        message_id_header=bindparam("b_message_id"),
        from_addr=bindparam("b_from"),
        subject=bindparam("b_subject"),
        date=bindparam("b_date"),
    )
)


@dataclass(frozen=True)
class StoredMessage:
    pk: int
    sha256: str
    is_new: bool
    status: str


@dataclass(frozen=True)
class MessageSummary:
    pk: int
    sha256: str
    size: int
    source: str
    source_id: str
    received_at: datetime
    from_addr: str | None
    subject: str | None
    status: str
    status_reason: str | None
    failed_stage: str | None
    verdict: str | None
    category: str | None
    format: str | None
    pgp_status: str | None
    reasons: list[Reason] = field(default_factory=list)  # the verdict's, as stored (list only)


def _insert_ignoring_duplicates(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (sha256) DO NOTHING RETURNING sha256, id, built once per dialect.

    Executed with many rows, it is one statement ("insertmanyvalues"); rows are matched
    back by sha256, so the order RETURNING gives them in does not matter.
    """
    statement = _INSERTS.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(_MESSAGES)
            .on_conflict_do_nothing(index_elements=["sha256"])
            .returning(_MESSAGES.c.sha256, _MESSAGES.c.id)
        )
        _INSERTS[dialect] = statement
    return statement


def store_raw(session: Session, message: RawMessage, headers: dict[str, Any] | None = None) -> StoredMessage:
    """Insert the raw bytes (the caller commits them before anything else can fail).

    Duplicate detection is by sha256 of the bytes, never by Message-ID; two processes
    storing the same bytes at once both get the one row.
    """
    return _store(session, [message], headers)[0]


def store_raw_many(
    session: Session, messages: list[RawMessage], claim: Lease | None = None
) -> list[StoredMessage]:
    """Store several raw messages with one statement (same rules as store_raw).

    ``claim``: the rows it inserts are claimed under this lease (store/leases.py), so a
    worker storing what it will analyse holds them from the first write.
    """
    if not messages:
        return []
    return _store(session, messages, None, claim)


def _store(
    session: Session,
    messages: list[RawMessage],
    headers: dict[str, Any] | None,
    claim: Lease | None = None,
) -> list[StoredMessage]:
    """Insert the new ones in one statement, then look up the ones already stored."""
    h = headers or {}
    now = utcnow()
    shas = [message.sha256 for message in messages]  # each hashed once
    rows = [
        {
            "sha256": sha,
            "raw": message.raw,
            "size": len(message.raw),
            "source": message.source,
            "source_id": message.source_id,
            "received_at": now,
            "message_id_header": h.get("message_id"),
            "from_addr": h.get("from_addr"),
            "subject": h.get("subject"),
            "date": h.get("date"),
            "status": "new",
            "attempts": 0,
            "archived": False,
        }
        for message, sha in zip(messages, shas, strict=True)
    ]
    if claim is not None:
        until = claim.until()
        for row in rows:
            row["claimed_by"], row["lease_until"] = claim.worker, until
    statement = _insert_ignoring_duplicates(session.get_bind().dialect.name)
    inserted = {sha: pk for sha, pk in session.connection().execute(statement, rows)}
    others = sorted(set(shas) - inserted.keys())
    found: dict[str, tuple[int, str]] = {}
    if others:
        for pk, sha, status in session.execute(
            select(MessageRow.id, MessageRow.sha256, MessageRow.status).where(MessageRow.sha256.in_(others))
        ):
            found[sha] = (pk, status)
    out: list[StoredMessage] = []
    for sha in shas:
        pk = inserted.pop(sha, None)  # the first copy of new bytes is new; a second one is not
        if pk is not None:
            found[sha] = (pk, "new")
            out.append(StoredMessage(pk, sha, True, "new"))
        else:
            pk, status = found[sha]
            out.append(StoredMessage(pk, sha, False, status))
    return out


def get_raw(session: Session, pk: int) -> bytes:
    raw = session.execute(select(MessageRow.raw).where(MessageRow.id == pk)).scalar_one_or_none()
    if raw is None:
        raise KeyError(pk)
    return raw


def update_headers(session: Session, pk: int, headers: dict[str, Any]) -> None:
    """Record the decoded header facts once analysis has them (raw bytes stay untouched)."""
    session.execute(
        update(MessageRow).where(MessageRow.id == pk).values(**headers),
        execution_options={"synchronize_session": False},
    )


def mark(
    session: Session,
    pk: int,
    status: str,
    *,
    reason: str | None = None,
    stage: str | None = None,
    traceback: str | None = None,
    headers: dict[str, Any] | None = None,
) -> None:
    """Set the status (and, when given, the decoded header facts) in one UPDATE."""
    session.execute(
        update(MessageRow)
        .where(MessageRow.id == pk)
        .values(
            status=status,
            status_reason=reason,
            failed_stage=stage,
            traceback=traceback,
            attempts=MessageRow.attempts + 1,
            processed_at=utcnow(),
            **(headers or {}),
        ),
        # Plain Core semantics: no ORM identity-map synchronisation on this hot path.
        execution_options={"synchronize_session": False},
    )


def mark_processed_many(session: Session, processed: list[tuple[int, str, dict[str, Any]]]) -> None:
    """Set (pk, reason, headers) messages `processed` with their decoded headers: one executemany.

    Same effect as ``mark(session, pk, "processed", reason=..., headers=...)`` for each;
    ``headers`` has the keys message_id_header, from_addr, subject and date.
    """
    if not processed:
        return
    now = utcnow()
    bulk.execute_rows(
        session,
        _MARK_PROCESSED,
        [
            {
                "b_pk": pk,
                "b_reason": reason,
                "b_at": now,
                "b_message_id": h["message_id_header"],
                "b_from": h["from_addr"],
                "b_subject": h["subject"],
                "b_date": h["date"],
            }
            for pk, reason, h in processed
        ],
    )


def add_event(session: Session, pk: int, actor: str, action: str, detail: dict[str, Any]) -> None:
    session.add(MessageEventRow(message_pk=pk, actor=actor, action=action, detail=detail))


def message_events(session: Session, pk: int) -> list[Event]:
    rows = session.scalars(
        select(MessageEventRow).where(MessageEventRow.message_pk == pk).order_by(MessageEventRow.id)
    )
    return [Event.of(r) for r in rows]


def list_messages(
    session: Session,
    *,
    status: str | None = None,
    verdict: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[MessageSummary]:
    query = (
        select(
            MessageRow.id,
            MessageRow.sha256,
            MessageRow.size,
            MessageRow.source,
            MessageRow.source_id,
            MessageRow.received_at,
            MessageRow.from_addr,
            MessageRow.subject,
            MessageRow.status,
            MessageRow.status_reason,
            MessageRow.failed_stage,
            ReportRow.verdict,
            ReportRow.category,
            ReportRow.format,
            ReportRow.pgp_status,
            ReportRow.reasons,
        )
        .outerjoin(ReportRow, ReportRow.message_pk == MessageRow.id)
        .order_by(MessageRow.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if status:
        query = query.where(MessageRow.status == status)
    if verdict:
        query = query.where(ReportRow.verdict == verdict)
    # A select of 16 columns is typed as a row of unknown length: mypy cannot count it.
    out: list[MessageSummary] = []
    for row in session.execute(query):
        *columns, reasons = tuple(row)
        out.append(MessageSummary(*columns, reasons=list(reasons or [])))  # type: ignore[arg-type, misc]
    return out


def get_message(session: Session, pk: int) -> MessageSummary | None:
    row = session.get(MessageRow, pk)
    if row is None:
        return None
    report = row.report
    return MessageSummary(
        row.id,
        row.sha256,
        row.size,
        row.source,
        row.source_id,
        row.received_at,
        row.from_addr,
        row.subject,
        row.status,
        row.status_reason,
        row.failed_stage,
        report.verdict if report else None,
        report.category if report else None,
        report.format if report else None,
        report.pgp_status if report else None,
    )


def message_ids(session: Session, *, status: str | None = None) -> list[int]:
    query = select(MessageRow.id).order_by(MessageRow.id)
    if status:
        query = query.where(MessageRow.status == status)
    return list(session.scalars(query))


def known_source_ids(session: Session, source: str, *, finished_only: bool = True) -> set[str]:
    """Source ids of messages already finished (a Maildir poll skips those files cheaply);
    with ``finished_only=False`` of every stored one (a leader that only stores)."""
    query = select(MessageRow.source_id).where(MessageRow.source == source)
    if finished_only:
        query = query.where(MessageRow.status != "new")
    return set(session.scalars(query))


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(MessageRow.status, func.count()).group_by(MessageRow.status))
    return {status: count for status, count in rows}


def message_traceback(session: Session, pk: int) -> str | None:
    """The traceback recorded when a stage failed on the message (None otherwise)."""
    return session.execute(select(MessageRow.traceback).where(MessageRow.id == pk)).scalar()


def report_reasons(session: Session, pk: int) -> list[Reason]:
    """Why the message has its verdict (a desk decision first), then what extraction noted."""
    row = session.execute(
        select(ReportRow.reasons, ReportRow.extraction_reasons).where(ReportRow.message_pk == pk)
    ).first()
    return [*row.reasons, *row.extraction_reasons] if row else []


@dataclass(frozen=True)
class StoredPgp:
    """The PGP columns of a message's report, as stored (``detail`` is the pgp_detail JSON)."""

    status: str
    fingerprint: str | None
    signer_matches_from: bool | None
    encrypted: bool
    detail: dict[str, Any] | None


def report_pgp(session: Session, pk: int) -> StoredPgp | None:
    """The stored PGP result of a message's report (None before it was analysed)."""
    row = session.execute(
        select(
            ReportRow.pgp_status,
            ReportRow.pgp_fingerprint,
            ReportRow.pgp_signer_matches_from,
            ReportRow.pgp_encrypted,
            ReportRow.pgp_detail,
        ).where(ReportRow.message_pk == pk)
    ).first()
    return StoredPgp(*row) if row else None
