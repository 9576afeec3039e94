"""The one writer: analysis outcomes become reports, observations, incidents and status rows.

``write`` is the only way the pipeline stores what it analysed (ingest, replay and the
desk's rerun all come here). It tries the bulk path first: one statement per step for
the whole batch (reports, observations, grouping, the status rows), since what one
message at a time costs is mostly the ORM's per-statement overhead. Should anything
fail, that transaction is rolled back and the batch is written again one message at a
time, each in its own SAVEPOINT, so that only the failing message is quarantined, with
its traceback. Replays (messages that already have a report) take the careful path from
the start: replacing a report recounts its incidents between messages. Either way a
message becomes `processed` in ``_processed`` and a failure is recorded in ``quarantine``.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from abusebox.core import collector
from abusebox.core.config import Settings
from abusebox.core.errors import TransientError
from abusebox.core.models import Analysis
from abusebox.incidents.grouping import Grouper
from abusebox.outbox import correspondence, hook
from abusebox.parsing.mime import header_facts as raw_header_facts
from abusebox.pipeline.counts import IngestResult
from abusebox.pipeline.pool import AnalysisFailure, AnalysisOutcome
from abusebox.store import messages as message_store
from abusebox.store import reports as report_store
from abusebox.store.base import utcnow
from abusebox.store.db import outage_by_code, ping, short_error
from abusebox.store.incidents import recount
from abusebox.triage.override import DeskVerdict, desk_result

log = logging.getLogger(__name__)

KEEP_DESK: DeskVerdict = ("", "")  # sentinel: keep whatever verdict a handler gave earlier
Batch = list[AnalysisOutcome[tuple[int, str]]]  # keyed by (message pk, label)
# Begins a transaction (Database.session, or ``inside`` the caller's) and yields its session.
Transaction = Callable[[], AbstractContextManager[Session]]


def inside(session: Session) -> Transaction:
    """A Transaction that is a SAVEPOINT of ``session``: the caller's transaction stays open."""

    @contextmanager
    def savepoint() -> Iterator[Session]:
        with session.begin_nested():
            yield session

    return savepoint


@dataclass(frozen=True)
class Committed:
    """A message written as `processed`: its analysis (with any desk verdict) and incidents."""

    analysis: Analysis
    incidents: tuple[int, ...]


def with_desk(analysis: Analysis, desk: DeskVerdict | None) -> Analysis:
    """The analysis with a handler's verdict in place of triage's, if there is one."""
    if desk is None:
        return analysis
    return replace(analysis, triage=desk_result(analysis.triage, *desk))


def header_facts(analysis: Analysis) -> dict[str, object]:
    """The decoded header facts recorded on the message row once it is analysed."""
    parsed = analysis.parsed
    return {
        "message_id_header": parsed.message_id,
        "from_addr": parsed.from_addr,
        "subject": parsed.subject[:2000],
        "date": parsed.date,
    }


def write(
    transaction: Transaction, grouper: Grouper, batch: Batch, desk: DeskVerdict | None
) -> list[IngestResult]:
    """Store a batch of outcomes; one result per outcome, in order, each once committed.

    ``transaction`` begins what a failed bulk attempt rolls back: a transaction of its
    own for a pipeline batch, a SAVEPOINT in the caller's transaction for the desk.
    ``desk`` (a handler's verdict, or KEEP_DESK) applies to every message of the batch.
    Raises TransientError when the database is unreachable or locked (``is_outage``): not
    the messages' fault, so they stay `new` and the next run picks them up again. Any
    other error, a statement the database refuses included, is one message's: it is
    quarantined with a short reason and the rest of the batch is committed.
    """
    with collector.paused():  # a batch's objects are many and acyclic (core/collector.py)
        try:
            with transaction() as session:
                return _bulk(session, grouper, batch, desk)
        except Exception as exc:  # the batch boundary: any error sends it down the careful path
            _raise_if_outage(transaction, exc)
            log.debug("bulk commit failed; committing message by message: %s", short_error(exc))
        try:
            with transaction() as session:
                return [_careful(session, grouper, outcome, desk) for outcome in batch]
        except Exception as exc:
            _raise_if_outage(transaction, exc)
            raise


def is_outage(transaction: Transaction, exc: BaseException) -> bool:
    """Is the database unavailable (the messages are not at fault), rather than one
    statement refused? The driver's error code decides where it has one; otherwise a
    trivial query does: a database that answers it is not down."""
    if not isinstance(exc, DBAPIError):
        return False
    by_code = outage_by_code(exc)
    if by_code is not None:
        return by_code
    try:
        with transaction() as session:
            ping(session)
    except Exception:
        return True
    return False


def _raise_if_outage(transaction: Transaction, exc: BaseException) -> None:
    if is_outage(transaction, exc):
        raise TransientError(f"database unavailable while committing: {short_error(exc)}") from exc


def quarantine(session: Session, pk: int, failure: AnalysisFailure) -> None:
    """Record why a message could not be analysed or stored, with the stage and traceback."""
    # info, not warning: the caller reports each quarantine itself (ingest prints one
    # line per item); a second, logged line on the console would only repeat it.
    log.info("message %s quarantined at %s: %s", pk, failure.stage, failure.reason)
    message_store.mark(
        session,
        pk,
        "quarantined",
        reason=failure.reason,
        stage=failure.stage,
        traceback=failure.traceback,
        headers=_raw_header_facts(session, pk),
    )
    message_store.add_event(session, pk, "pipeline", "quarantined", {"stage": failure.stage})


def _raw_header_facts(session: Session, pk: int) -> dict[str, object] | None:
    """From, Subject, Message-ID and Date read from the raw header block, so the desk sees
    who sent a message whatever stage failed (None when the bytes are no longer held)."""
    try:
        raw = message_store.get_raw(session, pk)
    except KeyError:
        return None
    facts = raw_header_facts(raw)
    return {
        "message_id_header": facts.message_id,
        "from_addr": facts.from_addr,
        "subject": facts.subject,
        "date": facts.date,
    }


def _bulk(session: Session, grouper: Grouper, batch: Batch, desk: DeskVerdict | None) -> list[IngestResult]:
    analysed = [(o.key[0], o.analysis) for o in batch if o.analysis is not None]
    if report_store.prior_reports(session, [pk for pk, _a in analysed]):
        # A replay: keep the message-at-a-time order (and a SAVEPOINT each) for the batch.
        return [_careful(session, grouper, outcome, desk) for outcome in batch]
    committed = iter(commit_new(session, grouper, analysed, None if desk is KEEP_DESK else desk))
    results: list[IngestResult] = []
    for outcome in batch:
        pk, label = outcome.key
        if outcome.analysis is None:
            results.append(_failed(session, outcome))
            continue
        done = next(committed)
        results.append(IngestResult("processed", pk, label, None, done.analysis.verdict, done.incidents))
    return results


def commit_new(
    session: Session, grouper: Grouper, items: list[tuple[int, Analysis]], desk: DeskVerdict | None
) -> list[Committed]:
    """The bulk path: reports, observations and incidents of messages without a report.

    The caller has checked that none of the messages has a report. ``desk`` (a handler's
    verdict) applies to every message; results are in the order of ``items``.
    """
    analyses = [with_desk(analysis, desk) for _pk, analysis in items]
    # Replies about our tickets are timeline entries, not reports (outbox/correspondence.py).
    analyses = correspondence.apply(
        session, grouper.settings, [(pk, a) for (pk, _), a in zip(items, analyses, strict=True)]
    )
    report_pks = report_store.insert_reports(
        session, [(pk, analysis) for (pk, _a), analysis in zip(items, analyses, strict=True)]
    )
    grouped = [i for i, analysis in enumerate(analyses) if analysis.verdict == "report"]
    # Observations are grouped before they are inserted (pks reserved), so each row is
    # written once, already pointing at its incident.
    stored = report_store.reserve_observations(
        session,
        [
            (report_pks[i], analyses[i].extraction.observations, analyses[i].parsed.date or utcnow())
            for i in grouped
        ],
    )
    touched, placed = grouper.place_batch(
        session,
        [(observations, analyses[i].category) for observations, i in zip(stored, grouped, strict=True)],
    )
    report_store.insert_reserved(session, stored, placed)
    incidents: list[tuple[int, ...]] = [() for _ in items]
    for i, pks in zip(grouped, touched, strict=True):
        incidents[i] = tuple(pks)
    _processed(
        session,
        grouper.settings,
        [(pk, analysis) for (pk, _a), analysis in zip(items, analyses, strict=True)],
    )
    return [Committed(analysis, pks) for analysis, pks in zip(analyses, incidents, strict=True)]


def _careful(
    session: Session,
    grouper: Grouper,
    outcome: AnalysisOutcome[tuple[int, str]],
    desk: DeskVerdict | None,
) -> IngestResult:
    """One message in its own SAVEPOINT: a failure quarantines it without undoing the others."""
    pk, label = outcome.key
    if outcome.analysis is None:
        return _failed(session, outcome)
    savepoint = session.begin_nested()
    try:
        done = _write_one(session, grouper, pk, outcome.analysis, desk)
        savepoint.commit()
    except Exception as exc:  # the per-message boundary: record with traceback, go on
        savepoint.rollback()
        _raise_if_outage(inside(session), exc)
        reason = short_error(exc)
        failure = AnalysisFailure("store", reason, _bounded(traceback.format_exc()))
        quarantine(session, pk, failure)
        return IngestResult("quarantined", pk, label, f"store: {reason}")
    return IngestResult("processed", pk, label, None, done.analysis.verdict, done.incidents)


def _bounded(text: str, limit: int = 20_000) -> str:
    """A traceback kept for the record, without a multi-megabyte statement in it."""
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}\n[... {len(text) - limit} characters left out ...]\n{text[-limit // 2 :]}"


def _write_one(
    session: Session, grouper: Grouper, pk: int, analysis: Analysis, desk: DeskVerdict | None
) -> Committed:
    """Write (or replace) one message's report, observations and incidents."""
    if desk is KEEP_DESK:
        desk = report_store.desk_verdict(session, pk)
    analysis = with_desk(analysis, desk)
    (analysis,) = correspondence.apply(session, grouper.settings, [(pk, analysis)])
    report_pk, affected = report_store.replace_report(session, pk, analysis)
    incidents: list[int] = []
    if analysis.verdict == "report":
        stored = report_store.add_observations(
            session, report_pk, analysis.extraction.observations, analysis.parsed.date or utcnow()
        )
        incidents = grouper.group_report(session, stored, analysis.category)
    for incident_pk in affected:
        recount(session, incident_pk)
    _processed(session, grouper.settings, [(pk, analysis)])
    return Committed(analysis, tuple(incidents))


def _processed(session: Session, settings: Settings, messages: list[tuple[int, Analysis]]) -> None:
    """Mark messages `processed` with their decoded headers: where every path ends.

    The mail the decisions make (acknowledgements, notifications, alerts) is queued here,
    in the same transaction (outbox/hook.py).
    """
    message_store.mark_processed_many(
        session, [(pk, f"verdict {analysis.verdict}", header_facts(analysis)) for pk, analysis in messages]
    )
    hook.after_commit(session, settings, messages)


def _failed(session: Session, outcome: AnalysisOutcome[tuple[int, str]]) -> IngestResult:
    pk, label = outcome.key
    failure = outcome.failure
    assert failure is not None
    quarantine(session, pk, failure)
    return IngestResult("quarantined", pk, label, f"{failure.stage}: {failure.reason}")
