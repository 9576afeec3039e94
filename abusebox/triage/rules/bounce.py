"""Delivery status notifications and other bounces (RFC 3464, common practice).

A bounce of our own acknowledgement must never become a report (it would open an
incident about our own mail server) nor be acknowledged (a mail loop).
"""

from __future__ import annotations

import re

from abusebox.parsing.text import normalise
from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import header_lower

_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|delivery failure|mail delivery failed|"
    r"returned mail|failure notice|delivery has failed|could not be delivered|"
    r"配信不能|配送エラー|配信エラー|送信エラー|宛先不明|配信できません",
)


def _report_type(ctx: TriageContext) -> str:
    message = ctx.parsed.email
    value = message.get_param("report-type") if message is not None else None
    return str(value).lower() if isinstance(value, str) else ""


class Bounce:
    name = "bounce"
    description = "delivery status notifications, read receipts and MAILER-DAEMON bounces"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        parsed = ctx.parsed
        if parsed.content_type == "multipart/report":
            kind = _report_type(ctx)
            if kind == "delivery-status":
                return RuleHit(
                    8.0, "delivery status notification (multipart/report; delivery-status)", "automated"
                )
            if kind == "disposition-notification":
                return RuleHit(8.0, "read receipt (multipart/report; disposition-notification)", "automated")
        local = (parsed.from_addr or "").split("@", 1)[0]
        empty_path = header_lower(parsed, "Return-Path") in ("<>", "")  # absent counts as unknown
        has_path = parsed.header("Return-Path") is not None
        subject_says = bool(_BOUNCE_SUBJECT.search(normalise(parsed.subject)))
        if local in _BOUNCE_SENDERS:
            if has_path and empty_path:
                return RuleHit(
                    6.0, f"bounce: sender {parsed.from_addr} with empty return path <>", "automated"
                )
            if subject_says:
                return RuleHit(5.0, f"bounce: sender {parsed.from_addr} and a bounce subject", "automated")
            return RuleHit(2.0, f"sender {parsed.from_addr} is a mail system address", "automated")
        if subject_says and has_path and empty_path:
            return RuleHit(5.0, "bounce: bounce subject with empty return path <>", "automated")
        return None


register(Bounce())
