"""Vendor advertisements: a trial or demo offer plus an unsubscribe line is sales mail.

An offer that is also spam (two or more terms of one spam topic: pharmacy, crypto, ...)
is left to the spam rules: a pill advert is spam, not a vendor's sales mail.

Security vendors put "sample detections" tables (times, addresses, signatures) into
their ads; the table must not turn the ad into a report, so this rule does not step
aside when addresses with times are found, unlike the solicitation rule.
"""

from __future__ import annotations

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.rules.spam_content import TOPICS
from abusebox.triage.text import count_terms

# Spam topics that make an offer spam rather than a vendor's advertisement (the money
# topic is left out: its terms, "unsubscribe" among them, are in vendors' mail too).
SPAM_TOPICS = {topic: terms for topic, terms in TOPICS.items() if topic != "money"}

OFFER: tuple[str, ...] = (
    "free trial",
    "start your free",
    "book a demo",
    "request a demo",
    "schedule a demo",
    "% off",
    "off your first year",
    "pricing plans",
    "無料トライアル",
    "無料でお試し",
    "お試しいただけます",
    "資料請求",
    "デモのお申し込み",
)
OPT_OUT: tuple[str, ...] = (
    "unsubscribe",
    "marketing emails",
    "opt out",
    "配信停止",
    "配信を停止",
)


class Advert:
    name = "advert"
    description = "vendor advertisements (trial or demo offers with an opt-out), tables or not"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        text = ctx.own_text
        offer = count_terms(text, OFFER)
        if not offer:
            return None
        opt_out = count_terms(text, OPT_OUT)
        if not opt_out:
            return None
        if any(len(count_terms(text, terms)) >= 2 for terms in SPAM_TOPICS.values()):
            return None  # pharmacy, crypto, dating ... offers are spam (spam_vocabulary)
        return RuleHit(9.0, "advertisement: " + ", ".join(offer[:3] + opt_out[:1]), "non_incident")


register(Advert())
