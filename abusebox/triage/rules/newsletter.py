"""Newsletters: list headers plus "you are receiving this newsletter" in the text.

bulk.py weighs list headers lightly because real feeds arrive through lists; a
newsletter also says what it is in its own words (issue numbers, subscription
notes, 配信停止), which a report does not. Threat-intel newsletters name addresses
and malware, so this rule must be able to outweigh report wording on its own.
"""

from __future__ import annotations

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import count_terms

TERMS: tuple[str, ...] = (
    "newsletter",
    "in this issue",
    "this week's issue",
    "you are receiving this",
    "you received this email because",
    "because you subscribed",
    "manage your subscription",
    "update your preferences",
    "email preferences",
    "view in browser",
    "view this email in your browser",
    "read the full article",
    "read the full articles",
    "webinar",
    "register today",
    "メールマガジン",
    "メルマガ",
    "配信停止",
    "配信解除",
    "購読",
    "ニュースレター",
    "今号",
)


class Newsletter:
    name = "newsletter"
    description = "newsletter wording (in this issue, you are receiving this, 配信停止) with list headers"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        found = count_terms(ctx.own_text, TERMS)
        if len(found) < 2:
            return None
        listed = ctx.parsed.header("List-Unsubscribe") is not None or ctx.parsed.header("List-Id") is not None
        score = min(3.0, 1.0 * len(found)) if listed else min(1.5, 0.5 * len(found))
        return RuleHit(score, "newsletter wording: " + ", ".join(found[:5]), "automated")


register(Newsletter())
