"""Triage: decide report / spam / non_incident / automated, always with reasons."""

from __future__ import annotations

from abusebox.config import TriageSettings
from abusebox.models import Extraction, ParsedMessage, PgpResult, TriageResult


def triage(
    parsed: ParsedMessage,
    pgp: PgpResult,
    extraction: Extraction,
    settings: TriageSettings,
) -> TriageResult:
    ctype = parsed.content_type
    report_type = (parsed.email.get_param("report-type") or "") if parsed.email else ""
    if ctype == "multipart/report" and str(report_type).lower() == "delivery-status":
        return TriageResult("automated", 0.0, ["delivery status notification (bounce)"])
    auto = (parsed.header("Auto-Submitted") or "").lower()
    if auto.startswith("auto-replied"):
        return TriageResult("automated", 0.0, ["Auto-Submitted: auto-replied"])
    if extraction.observations:
        return TriageResult("report", 0.0, [f"{len(extraction.observations)} addresses found"])
    return TriageResult("non_incident", 0.0, ["no offending address found"])
