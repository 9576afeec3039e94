"""A reader asking to be taken off a list (quoting the newsletter): not an incident."""

from __future__ import annotations

import re

from abusebox.triage.base import RuleHit, TriageContext, register

_ASK = re.compile(
    r"\b(?:please\s+)?(?:unsubscribe me|remove me from (?:this|your|the) (?:list|mailing list)|"
    r"take me off (?:this|your|the) list|stop sending me)\b|配信を停止してください|配信停止をお願い",
)
# What each of _ASK's branches spells out: without one of them it cannot match, and a
# substring test is far cheaper than the search (which tries "please" at every position).
_ASK_WORDS = (
    "unsubscribe me",
    "remove me from ",
    "take me off ",
    "stop sending me",
    "配信を停止してください",
    "配信停止をお願い",
)


class Unsubscribe:
    name = "unsubscribe_request"
    description = "a request to be removed from a mailing list"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        text = ctx.own_text
        match = _ASK.search(text) if any(word in text for word in _ASK_WORDS) else None
        if match is None:
            return None
        return RuleHit(9.0, f"unsubscribe request: {match.group(0)!r}", "non_incident")


register(Unsubscribe())
