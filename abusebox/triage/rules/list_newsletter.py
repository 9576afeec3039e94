"""List mail that reads like a newsletter is automated, even with an IOC table in it.

The bulk and newsletter rules each weigh one side; a list header *and* newsletter
wording together outweigh the log evidence an IOC list brings.
"""

from __future__ import annotations

import re

from abusebox.triage.base import RuleHit, TriageContext, register

_WORDING = re.compile(
    r"\b(?:newsletter|unsubscribe|you are receiving this|issue\s*#?\d+|vol\.?\s*\d+|weekly|digest)\b"
    r"|配信停止|メールマガジン",
)


class ListNewsletter:
    name = "list_newsletter"
    description = "mailing-list headers together with newsletter wording"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        parsed = ctx.parsed
        if parsed.header("List-Id") is None and parsed.header("List-Unsubscribe") is None:
            return None
        match = _WORDING.search(ctx.own_text)
        if match is None:
            return None
        return RuleHit(5.0, f"list mail with newsletter wording {match.group(0)!r}", "automated")


register(ListNewsletter())
