"""Many links and no evidence: the shape of advertising, not of a report."""

from __future__ import annotations

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import url_host, urls


class ManyLinks:
    name = "many_links"
    description = "several links to several hosts in the sender's own text, without log evidence"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        if ctx.has_evidence:
            return None
        found = urls(ctx.own_text)
        hosts = {url_host(u) for u in found}
        if len(found) < 3:
            return None
        score = 1.0 if len(found) < 6 else 2.0
        return RuleHit(score, f"{len(found)} links to {len(hosts)} hosts and no log evidence", "spam")


register(ManyLinks())
