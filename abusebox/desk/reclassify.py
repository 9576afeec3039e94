"""A handler reclassifies a message: record it, apply it, and let triage learn from it.

``reclassify`` is the one function the CLI (`abusebox messages reclassify`) and the
web UI call, in one transaction the caller opens: the decision is read and written
there, rerun included. The decision is a `reclassified` message event (the audit
trail and what ``learning`` trains on) plus ``reports.verdict``/``verdict_by``.

- to `report`: the message is analysed again from its raw bytes with the desk's
  verdict overriding triage, so extraction and grouping run (an incident appears);
  the analysis runs in the caller's Pipeline (its pool keeps the per-message time
  limit for hostile mail and is reused from one decision to the next);
- away from `report`: its observations leave their incidents (kept as evidence,
  not deleted), the incidents are recounted and each gets an incident event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import event
from sqlalchemy.orm import Session

from abusebox.core.choices import DESK_VERDICTS as DESK_VERDICTS
from abusebox.core.models import VERDICTS, DeskDecision
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.learning import LearnedCache
from abusebox.store import decisions
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store import reports as report_store
from abusebox.store.decisions import RECLASSIFIED
from abusebox.triage.override import redecided


@dataclass(frozen=True)
class Reclassification:
    message_pk: int
    previous: str | None
    verdict: str
    detached: dict[int, int] = field(default_factory=dict)  # incident -> observations taken out
    incidents: tuple[int, ...] = ()  # incidents the message joined (reclassified to report)
    outcome: str = "processed"  # or "quarantined" when the rerun failed
    reason: str | None = None


def reclassify(
    session: Session,
    pipeline: Pipeline,
    pk: int,
    verdict: str,
    actor: str,
    note: str | None = None,
    *,
    learned: LearnedCache | None = None,
) -> Reclassification:
    """Apply a handler's verdict to message ``pk``; raise KeyError / ValueError on bad input.

    ``learned`` is a further cache (besides the pipeline's) to refresh once this commits.
    """
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r} (one of {', '.join(VERDICTS)})")
    if not actor.strip():
        raise ValueError("a reclassification needs the handler's name")
    if actor == "triage":
        raise ValueError("'triage' names the automatic verdict, not a handler")
    summary = message_store.get_message(session, pk)
    if summary is None:
        raise KeyError(pk)
    previous = summary.verdict
    detached: dict[int, int] = {}
    message_store.add_event(session, pk, actor, RECLASSIFIED, {"from": previous, "to": verdict, "note": note})
    report_pk = report_store.report_pk_of(session, pk)
    if report_pk is not None and (verdict != "report" or previous == "report"):
        reasons, category, said = decisions.stored_decision(session, pk) or ([], None, None)
        decision = DeskDecision(verdict, actor, said)  # type: ignore[arg-type]
        reasons, category = redecided(reasons, category, decision)
        decisions.set_desk_decision(session, pk, decision, reasons, category)
        if verdict != "report":
            detached = _detach(session, report_pk, pk, verdict, actor, note)
    result = Reclassification(pk, previous, verdict, detached)
    if report_pk is None or (verdict == "report" and previous != "report"):
        rerun = pipeline.rerun(session, pk, actor, (verdict, actor))
        result = replace(result, incidents=rerun.incidents, outcome=rerun.outcome, reason=rerun.reason)
    caches = [c for c in (pipeline.learned, learned) if c is not None]

    def refresh(committed: Session) -> None:
        if not committed.in_nested_transaction():  # the caller's transaction, not a SAVEPOINT
            for cache in caches:
                cache.invalidate()  # the next message is triaged with this decision known

    event.listen(session, "after_commit", refresh)
    return result


def _detach(
    session: Session, report_pk: int, pk: int, verdict: str, actor: str, note: str | None
) -> dict[int, int]:
    detached = report_store.detach_observations(session, report_pk)
    for incident_pk, count in detached.items():
        incident_store.recount(session, incident_pk)
        incident_store.add_event(
            session,
            incident_pk,
            actor,
            "report_detached",
            {"message": pk, "report": report_pk, "observations": count, "verdict": verdict, "note": note},
        )
    return detached
