"""Mailing-list and bulk traffic: List-Id, List-Unsubscribe, Precedence, auto-generated.

Weighed lightly on purpose: Shadowserver reports come through Mailman lists with
``Precedence: list``, and feeds send ``Auto-Submitted: auto-generated``. The
evidence rules (a parsed format, log lines) outweigh this one for real reports.
"""

from __future__ import annotations

import re

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import header_lower

_DIGEST = re.compile(r"\bdigest\b.{0,40}\b(?:vol|issue)\b|ダイジェスト", re.IGNORECASE)
# Mailman's digest preamble and table of contents: the body is other people's messages.
_DIGEST_BODY = re.compile(
    r"^Send \S{1,80} mailing list submissions to|^Today's Topics:|^End of \S{1,80} Digest",
    re.IGNORECASE | re.MULTILINE,
)


class BulkMail:
    name = "bulk"
    description = "mailing-list and bulk headers (List-Id, List-Unsubscribe, Precedence, auto-generated)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        parsed = ctx.parsed
        signs: list[str] = []
        score = 0.0
        if parsed.header("List-Id") is not None:
            signs.append("List-Id")
            score += 1.5
        if parsed.header("List-Unsubscribe") is not None:
            signs.append("List-Unsubscribe")
            score += 1.0
        precedence = header_lower(parsed, "Precedence")
        if precedence in ("bulk", "list", "junk"):
            signs.append(f"Precedence: {precedence}")
            score += 1.0
        if header_lower(parsed, "Auto-Submitted").startswith("auto-generated"):
            signs.append("Auto-Submitted: auto-generated")
            score += 0.5
        cap = 4.5
        if _DIGEST.search(ctx.parsed.subject):
            signs.append("digest subject")
            score += 1.0
            # A list digest's contents: addresses in it are members discussing them, not a
            # report, so it outweighs the log evidence extraction finds in it.
            if parsed.header("List-Id") is not None and _DIGEST_BODY.search(ctx.own_text[:20_000]):
                signs.append("digest contents")
                score += 3.0
                cap = 7.0
        if not signs:
            return None
        return RuleHit(min(score, cap), "bulk or list mail: " + ", ".join(signs), "automated")


register(BulkMail())
