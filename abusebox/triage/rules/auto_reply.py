"""Out-of-office notices and auto-replies (RFC 3834 and what mailers really send).

Only *replies* are matched here: ``Auto-Submitted: auto-generated`` is what many
genuine feeds send (Shadowserver, fail2ban X-ARF, JPCERT/CC) and is weighed,
lightly, by the bulk rule instead.
"""

from __future__ import annotations

import re

from abusebox.parsing.text import normalise
from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import header_lower

_SUBJECT = re.compile(
    r"^(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|out of (?:the )?office|"
    r"abwesenheitsnotiz|réponse automatique|respuesta automática|自動応答|自動返信|不在|休暇)"
    r"|^auto:|\b(?:out of (?:the )?office|on vacation|away from the office)\b|不在(?:通知|のお知らせ|です)|"
    r"自動応答|自動返信|休暇中",
)
# What an absence notice says in its own words (not what it quotes).
_BODY = re.compile(
    r"\b(?:i am|i'm) (?:currently )?(?:out of (?:the )?office|away|on (?:leave|vacation))\b|"
    r"\blimited access to e-?mail\b|nicht im büro|keinen zugriff auf meine e-?mails|"
    r"不在にして|休暇をいただいて",
)


class AutoReply:
    name = "auto_reply"
    description = (
        "out-of-office and auto-reply messages (Auto-Submitted: auto-replied, X-Autoreply, subjects)"
    )

    def check(self, ctx: TriageContext) -> RuleHit | None:
        parsed = ctx.parsed
        signs: list[str] = []
        if header_lower(parsed, "Auto-Submitted").startswith("auto-replied"):
            signs.append("Auto-Submitted: auto-replied")
        for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse"):
            if parsed.header(name) is not None:
                signs.append(f"{name} header")
        suppress = header_lower(parsed, "X-Auto-Response-Suppress")
        if suppress and any(word in suppress for word in ("oof", "all", "autoreply")):
            signs.append(f"X-Auto-Response-Suppress: {suppress[:30]}")
        if parsed.header("X-MS-Exchange-Inbox-Rules-Loop") or "oof" in header_lower(
            parsed, "X-MS-Exchange-Generated-Message-Source"
        ):
            signs.append("Exchange auto-reply headers")
        subject = normalise(parsed.subject)
        if _SUBJECT.search(subject):
            signs.append(f"subject {parsed.subject[:60]!r}")
        if not signs:
            return None
        if parsed.header("Return-Path") is not None and header_lower(parsed, "Return-Path") in ("<>", ""):
            signs.append("empty Return-Path")
        if _BODY.search(ctx.own_text):
            signs.append("absence wording")
        # One sign alone (a suppress header, a subject) is weaker than an explicit header.
        strong = signs[0].startswith(("Auto-Submitted", "X-Autoreply", "X-Autorespond", "Exchange"))
        score = 6.0 if strong or len(signs) > 1 else 3.0
        if len(signs) > 1 and (strong or "absence wording" in signs):
            score = 10.0  # a header or subject confirmed by the wording: whatever it quotes
        return RuleHit(score, "auto-reply: " + ", ".join(signs), "automated")


register(AutoReply())
