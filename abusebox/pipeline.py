"""Wire the stages: store raw -> analyse (worker processes) -> commit report + incidents.

The raw bytes are committed first, in their own transaction, before any parsing can
fail. A message becomes `processed` only in the transaction that writes its report
and incidents; any failure quarantines it with the stage, the reason and the
traceback, and the next message goes on. Running twice changes nothing: the sha256
ledger recognises every message already processed or quarantined.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.exc import OperationalError

from abusebox.config import Settings
from abusebox.errors import SourceError, TransientError
from abusebox.grouping import Grouper
from abusebox.models import Analysis, RawMessage
from abusebox.store import messages as message_store
from abusebox.store import reports as report_store
from abusebox.store.db import Database
from abusebox.store.incidents import recount
from abusebox.store.schema import utcnow
from abusebox.workers import AnalysisFailure, AnalyzerPool

log = logging.getLogger(__name__)

Outcome = Literal["processed", "duplicate", "quarantined", "unreadable"]


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    message_pk: int | None
    label: str
    reason: str | None = None
    verdict: str | None = None
    incidents: tuple[int, ...] = ()


@dataclass
class IngestCounts:
    read: int = 0
    new: int = 0
    duplicate: int = 0
    quarantined: int = 0
    unreadable: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, result: IngestResult) -> None:
        if result.outcome == "unreadable":
            self.unreadable += 1
            self.errors.append(f"{result.label}: {result.reason}")
            return
        self.read += 1
        if result.outcome == "duplicate":
            self.duplicate += 1
            return
        self.new += 1
        if result.outcome == "quarantined":
            self.quarantined += 1

    def summary(self) -> str:
        text = f"read {self.read}, new {self.new}, duplicate {self.duplicate}, quarantined {self.quarantined}"
        if self.unreadable:
            text += f", unreadable {self.unreadable}"
        return text


class Pipeline:
    """One call per raw message (or a stream of them); never raises for bad input."""

    def __init__(self, settings: Settings, db: Database, pool: AnalyzerPool) -> None:
        self.settings = settings
        self.db = db
        self.pool = pool
        self.grouper = Grouper(settings)

    def ingest(
        self,
        items: Iterable[RawMessage | SourceError],
        on_stored: Callable[[RawMessage, int], None] | None = None,
    ) -> Iterator[IngestResult]:
        """Store, analyse and commit a stream of messages; yield one result per item."""
        side: list[IngestResult] = []

        def to_analyse() -> Iterator[tuple[tuple[int, str], bytes]]:
            for item in items:
                if isinstance(item, SourceError):
                    side.append(IngestResult("unreadable", None, str(item.args[0]), str(item.args[1])))
                    continue
                stored = message_store.store_raw(self.db, item)
                if on_stored is not None:
                    on_stored(item, stored.pk)
                if stored.status in ("processed", "quarantined", "failed"):
                    side.append(IngestResult("duplicate", stored.pk, item.source_id))
                    continue
                yield (stored.pk, item.source_id), item.raw

        for outcome in self.pool.run(to_analyse()):
            yield from _drain(side)
            pk, label = outcome.key
            yield self._finish(pk, label, outcome.analysis, outcome.failure, actor="pipeline")
        yield from _drain(side)

    def replay(self, pks: Iterable[int], actor: str = "replay") -> Iterator[IngestResult]:
        """Run stored messages again from their raw bytes."""

        def load() -> Iterator[tuple[tuple[int, str], bytes]]:
            for pk in pks:
                yield (pk, f"message {pk}"), message_store.get_raw(self.db, pk)

        for outcome in self.pool.run(load()):
            pk, label = outcome.key
            with self.db.session() as session:
                message_store.add_event(session, pk, actor, "replayed", {})
            yield self._finish(pk, label, outcome.analysis, outcome.failure, actor=actor)

    def _finish(
        self, pk: int, label: str, analysis: Analysis | None, failure: AnalysisFailure | None, actor: str
    ) -> IngestResult:
        if analysis is None:
            assert failure is not None
            self._quarantine(pk, failure)
            return IngestResult("quarantined", pk, label, f"{failure.stage}: {failure.reason}")
        try:
            incidents = self._commit(pk, analysis)
        except OperationalError as exc:
            # The database is unreachable or locked: not the message's fault. Leave it
            # `new` so the next run (or poll) picks it up again.
            raise TransientError(f"database error while committing message {pk}: {exc}") from exc
        except Exception as exc:  # the per-message boundary: record with traceback, go on
            failure = AnalysisFailure("store", f"{type(exc).__name__}: {exc}", traceback.format_exc())
            self._quarantine(pk, failure)
            return IngestResult("quarantined", pk, label, f"store: {exc}")
        return IngestResult("processed", pk, label, None, analysis.verdict, tuple(incidents))

    def _commit(self, pk: int, analysis: Analysis) -> list[int]:
        parsed = analysis.parsed
        with self.db.session() as session:
            message_store.update_headers(
                session,
                pk,
                {
                    "message_id_header": parsed.message_id,
                    "from_addr": parsed.from_addr,
                    "subject": parsed.subject[:2000],
                    "date": parsed.date,
                },
            )
            report_pk, affected = report_store.replace_report(session, pk, analysis)
            incidents: list[int] = []
            if analysis.verdict == "report":
                stored = report_store.add_observations(
                    session, report_pk, analysis.extraction.observations, parsed.date or utcnow()
                )
                incidents = self.grouper.group_report(session, stored, analysis.category)
            for incident_pk in affected:
                recount(session, incident_pk)
            message_store.mark(session, pk, "processed", reason=f"verdict {analysis.verdict}")
        return incidents

    def _quarantine(self, pk: int, failure: AnalysisFailure) -> None:
        log.warning("message %s quarantined at %s: %s", pk, failure.stage, failure.reason)
        with self.db.session() as session:
            message_store.mark(
                session,
                pk,
                "quarantined",
                reason=failure.reason,
                stage=failure.stage,
                traceback=failure.traceback,
            )
            message_store.add_event(session, pk, "pipeline", "quarantined", {"stage": failure.stage})


def _drain(side: list[IngestResult]) -> Iterator[IngestResult]:
    while side:
        yield side.pop(0)
