"""Commit the analyses of a batch of new messages with a few statements for the whole batch.

What one message at a time costs is mostly the ORM's per-statement overhead (flushes,
statement construction, a SAVEPOINT): here each step is one statement for the batch
(reports, observations, grouping, the status rows). The pipeline uses this for a batch
whose messages have no report yet (first ingest, the hot path); on any error it rolls
the batch back and redoes it one message at a time, each in its own SAVEPOINT, so that
only the failing message is quarantined. Replays (messages that have a report) go one
at a time too: replacing a report recounts its incidents between messages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from abusebox.core.models import Analysis
from abusebox.incidents.grouping import Grouper
from abusebox.store import messages as message_store
from abusebox.store import reports as report_store
from abusebox.store.schema import utcnow
from abusebox.triage.override import DeskVerdict, desk_result


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


def commit_new(
    session: Session, grouper: Grouper, items: list[tuple[int, Analysis]], desk: DeskVerdict | None
) -> list[Committed]:
    """Write reports, observations and incidents of messages without a report; mark them processed.

    The caller has checked that none of the messages has a report. ``desk`` (a handler's
    verdict) applies to every message; results are in the order of ``items``.
    """
    analyses = [with_desk(analysis, desk) for _pk, analysis in items]
    report_pks = report_store.insert_reports(
        session, [(pk, analysis) for (pk, _a), analysis in zip(items, analyses, strict=True)]
    )
    grouped = [i for i, analysis in enumerate(analyses) if analysis.verdict == "report"]
    stored = report_store.insert_observations(
        session,
        [
            (report_pks[i], analyses[i].extraction.observations, analyses[i].parsed.date or utcnow())
            for i in grouped
        ],
    )
    touched = grouper.group_batch(
        session,
        [(observations, analyses[i].category) for observations, i in zip(stored, grouped, strict=True)],
    )
    incidents: list[tuple[int, ...]] = [() for _ in items]
    for i, pks in zip(grouped, touched, strict=True):
        incidents[i] = tuple(pks)
    message_store.mark_processed_many(
        session,
        [
            (pk, f"verdict {analysis.verdict}", header_facts(analysis))
            for (pk, _a), analysis in zip(items, analyses, strict=True)
        ],
    )
    return [Committed(analysis, pks) for analysis, pks in zip(analyses, incidents, strict=True)]
