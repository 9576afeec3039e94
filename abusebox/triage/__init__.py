"""Triage: decide report / spam / non_incident / automated, always with reasons.

Each signal is a small rule module under ``abusebox.triage.rules`` (see base.py for
the interface); combine.py turns their weighted hits into a verdict. Only
``Analysis.verdict == "report"`` lets a message reach grouping, acknowledgement or
forwarding: that one property is the gate the rest of the code checks. Junk is
stored and listed (``abusebox messages list --verdict spam``), never deleted.
"""

from __future__ import annotations

from pathlib import Path

from abusebox.core.config import Settings, TriageSettings
from abusebox.core.models import Extraction, ParsedMessage, PgpResult, TriageResult
from abusebox.core.settings_loader import ConfigError
from abusebox.triage import rules as _rules  # noqa: F401  (registers the rules)
from abusebox.triage.base import RuleHit, TriageContext, TriageRule, registered
from abusebox.triage.combine import WeightedHit, combine
from abusebox.triage.signals import LearnedSignals

__all__ = [
    "LearnedSignals",
    "RuleHit",
    "TriageContext",
    "TriageRule",
    "check_rule_names",
    "registered",
    "run_rules",
    "triage",
    "unknown_rule_names",
]


def unknown_rule_names(settings: TriageSettings) -> list[str]:
    """Names in disabled_rules or weights that no rule has (call at startup to fail early)."""
    return sorted((set(settings.disabled_rules) | set(settings.weights)) - set(registered()))


def check_rule_names(settings: Settings) -> None:
    """Refuse a config whose rule table names a rule that does not exist (a typo would do nothing)."""
    unknown = unknown_rule_names(settings.triage)
    if unknown:
        file = Path(settings.path).name if settings.path else "config"
        known = ", ".join(sorted(registered()))
        raise ConfigError(f"{file}: triage: unknown triage rule {unknown[0]!r} (known: {known})")


def run_rules(ctx: TriageContext) -> list[WeightedHit]:
    """Every enabled rule's hit, weighted by the configured multiplier."""
    settings = ctx.settings
    disabled = set(settings.disabled_rules)
    hits: list[WeightedHit] = []
    unknown = unknown_rule_names(settings)
    if unknown:  # a typo must not silently do nothing: say so on every verdict
        note = RuleHit(0.0, f"config names unknown triage rules (ignored): {', '.join(unknown)}")
        hits.append(WeightedHit("config", note, 0.0))
    for name, rule in registered().items():
        if name in disabled:
            continue
        hit = rule.check(ctx)
        if hit is not None:
            hits.append(WeightedHit(name, hit, round(hit.score * settings.weights.get(name, 1.0), 3)))
    return hits


def triage(
    parsed: ParsedMessage,
    pgp: PgpResult,
    extraction: Extraction,
    settings: TriageSettings,
    learned: LearnedSignals | None = None,
) -> TriageResult:
    ctx = TriageContext(parsed, pgp, extraction, settings, learned)
    return combine(run_rules(ctx), settings)
