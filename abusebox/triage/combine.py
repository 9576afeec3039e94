"""Combine rule hits into a verdict: the declarative table lives in TriageSettings.

- ``weights``: rule name -> multiplier (default 1.0; 0 silences a rule but keeps its reason),
- ``disabled_rules``: rules not run at all,
- thresholds: ``spam_threshold``, ``non_incident_threshold``, ``automated_threshold``.

The total score is the weighted sum of all hits (negative = report-ward). The junk
kinds are ranked by the sum of their positive hits; the first kind whose threshold
the total reaches is the verdict, else `report`. A ``fraud`` hint is a
`non_incident` with category `fraud`.
"""

from __future__ import annotations

from dataclasses import dataclass

from abusebox.core.config import TriageSettings
from abusebox.core.models import TriageResult
from abusebox.core.reasons import Reason
from abusebox.triage.base import RuleHit

HINT_VERDICT = {
    "spam": "spam",
    "non_incident": "non_incident",
    "fraud": "non_incident",
    "automated": "automated",
}
VERDICT_LABEL = {"spam": "spam", "non_incident": "non-incident", "automated": "automated"}


@dataclass(frozen=True)
class WeightedHit:
    rule: str
    hit: RuleHit
    score: float  # after the weight


def threshold(settings: TriageSettings, verdict: str) -> float:
    return {
        "spam": settings.spam_threshold,
        "non_incident": settings.non_incident_threshold,
        "automated": settings.automated_threshold,
    }[verdict]


def combine(hits: list[WeightedHit], settings: TriageSettings) -> TriageResult:
    total = round(sum(h.score for h in hits), 3)
    pull: dict[str, float] = {}
    fraud = 0.0
    for h in hits:
        if h.score > 0:
            verdict = HINT_VERDICT[h.hit.verdict_hint or "spam"]
            pull[verdict] = pull.get(verdict, 0.0) + h.score
            if h.hit.verdict_hint == "fraud":
                fraud += h.score
    decided = "report"
    for verdict in sorted(pull, key=lambda v: -pull[v]):
        if total >= threshold(settings, verdict):
            decided = verdict
            break
    # The summary comes first; its score is None because it adds nothing to the total.
    reasons = [Reason("triage", "verdict", None, _summary(decided, total, pull, settings))]
    for h in sorted(hits, key=lambda h: -abs(h.score)):
        reasons.append(Reason("triage", h.rule, h.score, h.hit.reason))
    category = "fraud" if decided == "non_incident" and fraud > 0 else None
    return TriageResult(decided, total, reasons, category)  # type: ignore[arg-type]


def _summary(decided: str, total: float, pull: dict[str, float], settings: TriageSettings) -> str:
    if decided != "report":
        label, limit = VERDICT_LABEL[decided], threshold(settings, decided)
        return f"{label}: score {total:+.1f} reaches the {label} threshold {limit:g}"
    if not pull:
        return f"report: score {total:+.1f}, no sign of junk"
    nearest = min(pull, key=lambda v: threshold(settings, v))
    return (
        f"report: score {total:+.1f} is below the {VERDICT_LABEL[nearest]} threshold "
        f"{threshold(settings, nearest):g}"
    )
