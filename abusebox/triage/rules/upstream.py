"""Verdicts of spam filters upstream of us: SpamAssassin and Rspamd headers.

These headers are forgeable: a sender can write "X-Spam-Status: No, score=-100".
Rather than guess which hop wrote a header, we trust them one way only: a
header that calls the message spam is weighed (no spammer forges a verdict
against itself), one that calls it clean is reported but never pulls towards
`report`.
"""

from __future__ import annotations

import re

from abusebox.triage.base import RuleHit, TriageContext, register

_SA_SCORE = re.compile(r"\b(?:score|hits)=(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_RSPAMD_RESULT = re.compile(r"\[\s*(-?\d+(?:\.\d+)?)\s*/\s*(-?\d+(?:\.\d+)?)\s*\]")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _float(pattern: re.Pattern[str], value: str | None) -> float | None:
    if not value:
        return None
    match = pattern.search(value[:2000])
    return float(match.group(1) if match.groups() else match.group()) if match else None


def spamassassin_score(ctx: TriageContext) -> tuple[float | None, bool]:
    """(score, flagged) from X-Spam-Status / X-Spam-Score / X-Spam-Flag."""
    status = ctx.parsed.header("X-Spam-Status")
    score = _float(_SA_SCORE, status)
    if score is None:
        score = _float(_NUMBER, ctx.parsed.header("X-Spam-Score"))
    flagged = (ctx.parsed.header("X-Spam-Flag") or "").strip().upper() == "YES" or (
        (status or "").strip().lower().startswith("yes")
    )
    return score, flagged


def rspamd_score(ctx: TriageContext) -> float | None:
    result = ctx.parsed.header("X-Spamd-Result")
    match = _RSPAMD_RESULT.search(result[:2000]) if result else None
    if match:
        return float(match.group(1))
    return _float(_NUMBER, ctx.parsed.header("X-Rspamd-Score"))


class UpstreamSpamFilter:
    name = "upstream_filter"
    description = "SpamAssassin / Rspamd verdict headers (weighed only when they say spam)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        settings = ctx.settings
        sa, flagged = spamassassin_score(ctx)
        rs = rspamd_score(ctx)
        says: list[str] = []
        if sa is not None and (flagged or sa >= settings.spamassassin_threshold):
            says.append(f"SpamAssassin score {sa:g} >= {settings.spamassassin_threshold:g}")
        elif sa is None and flagged:
            says.append("X-Spam-Flag: YES")
        if rs is not None and rs >= settings.rspamd_threshold:
            says.append(f"Rspamd score {rs:g} >= {settings.rspamd_threshold:g}")
        if says:
            return RuleHit(3.0, "upstream filter says spam: " + "; ".join(says), "spam")
        clean = [f"SpamAssassin {sa:g}" if sa is not None else "", f"Rspamd {rs:g}" if rs is not None else ""]
        clean = [c for c in clean if c]
        if clean:
            return RuleHit(
                0.0, f"upstream filter says not spam ({', '.join(clean)}); not weighed (forgeable)"
            )
        return None


register(UpstreamSpamFilter())
