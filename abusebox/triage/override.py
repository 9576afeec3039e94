"""A handler's decision replaces triage's verdict, keeping triage's reasons for the record."""

from __future__ import annotations

from abusebox.core.models import VERDICTS, TriageResult

DeskVerdict = tuple[str, str]  # (verdict, handler)
DESK_PREFIX = "desk decision by "


def desk_result(result: TriageResult, verdict: str, handler: str) -> TriageResult:
    """The TriageResult of a desk decision: verdict and decided_by are the handler's."""
    if result.decided_by != "triage":  # already a desk result: do not stack prefixes
        return result
    reasons = [f"{DESK_PREFIX}{handler}: {verdict} (triage said {result.verdict})", *result.reasons]
    category = result.category if result.verdict == verdict else None
    return TriageResult(verdict, result.score, reasons, category, decided_by=handler)  # type: ignore[arg-type]


def redecided(
    reasons: list[str], category: str | None, verdict: str, handler: str
) -> tuple[list[str], str | None]:
    """Stored reasons and category after a handler decides again without a rerun.

    The earlier desk line (if any) is replaced, so the first reason always names the
    verdict the message has now; triage's own reasons stay below it. The category
    survives only when triage had reached the same verdict (a `report`'s category
    means nothing for spam, a `fraud` non-incident keeps its category).
    """
    own = [r for r in reasons if not r.startswith(DESK_PREFIX)]
    said = triage_verdict(own)
    head = f"{DESK_PREFIX}{handler}: {verdict} (triage said {said or 'nothing'})"
    return [head, *own], category if said == verdict else None


def triage_verdict(reasons: list[str]) -> str | None:
    """Triage's verdict from its summary line ("spam: score ...", "non-incident: ...")."""
    if not reasons:
        return None
    label = reasons[0].split(":", 1)[0].strip()
    verdict = label.replace("-", "_")
    return verdict if verdict in VERDICTS else None
