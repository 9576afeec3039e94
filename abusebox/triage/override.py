"""A handler's decision replaces triage's verdict, keeping triage's reasons for the record.

The decision is a typed ``DeskDecision`` (verdict, handler, triage's own verdict); its
reason is listed first. A later decision replaces the reason of an earlier one, which
is found by its stage, never by its text.
"""

from __future__ import annotations

from abusebox.core.models import DeskDecision, TriageResult
from abusebox.core.reasons import Reason

DeskVerdict = tuple[str, str]  # (verdict, handler): what a handler asks for, before triage runs


def desk_result(result: TriageResult, verdict: str, handler: str) -> TriageResult:
    """The TriageResult of a desk decision: the verdict and the decision are the handler's."""
    if result.desk is not None:  # already a desk result: one decision, not two
        return result
    decision = DeskDecision(verdict, handler, result.verdict)  # type: ignore[arg-type]
    category = result.category if result.verdict == verdict else None
    reasons = with_decision(result.reasons, decision)
    return TriageResult(decision.verdict, result.score, reasons, category, decision)


def redecided(
    reasons: list[Reason], category: str | None, decision: DeskDecision
) -> tuple[list[Reason], str | None]:
    """Stored reasons and category after a handler decides again without a rerun.

    The category survives only when triage had reached the same verdict (a `report`'s
    category means nothing for spam, a `fraud` non-incident keeps its category).
    """
    kept = category if decision.triage_verdict == decision.verdict else None
    return with_decision(reasons, decision), kept


def with_decision(reasons: list[Reason], decision: DeskDecision) -> list[Reason]:
    """``reasons`` headed by the decision's reason, an earlier decision's reason dropped."""
    return [decision.reason(), *(r for r in reasons if r.stage != DeskDecision.STAGE)]
