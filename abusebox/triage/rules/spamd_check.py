"""SpamAssassin's own opinion via spamd, when (and only when) it is configured."""

from __future__ import annotations

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.spamd import SpamdError, ask_spamd


class Spamd:
    name = "spamd"
    description = "verdict of a configured SpamAssassin spamd (triage.spamd_host)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        settings = ctx.settings
        if not settings.spamd_host or not ctx.parsed.raw:
            return None
        if len(ctx.parsed.raw) > settings.spamd_max_bytes:
            return RuleHit(0.0, f"spamd not asked: message over {settings.spamd_max_bytes} bytes")
        try:
            verdict = ask_spamd(
                ctx.parsed.raw, settings.spamd_host, settings.spamd_port, settings.spamd_timeout_seconds
            )
        except SpamdError as exc:
            return RuleHit(0.0, f"spamd not available ({exc})")
        text = f"spamd score {verdict.score:g} / {verdict.threshold:g}"
        if verdict.is_spam:
            return RuleHit(3.0, f"{text}: spam", "spam")
        return RuleHit(0.0, f"{text}: not spam")


register(Spamd())
