"""A handler's decision replaces triage's verdict, keeping triage's reasons for the record."""

from __future__ import annotations

from abusebox.models import TriageResult

DeskVerdict = tuple[str, str]  # (verdict, handler)


def desk_result(result: TriageResult, verdict: str, handler: str) -> TriageResult:
    """The TriageResult of a desk decision: verdict and decided_by are the handler's."""
    if result.decided_by != "triage":  # already a desk result: do not stack prefixes
        return result
    reasons = [f"desk decision by {handler}: {verdict} (triage said {result.verdict})", *result.reasons]
    category = result.category if result.verdict == verdict else None
    return TriageResult(verdict, result.score, reasons, category, decided_by=handler)  # type: ignore[arg-type]
