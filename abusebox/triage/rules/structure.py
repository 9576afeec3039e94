"""Report structure that needs no parser: ARF, X-ARF, and well-known report senders.

These hold even when extraction found nothing (a zipped CSV the baseline cannot
read, an ARF whose original carries the address): the shape of the mail says
"report". A sender address is forgeable, so a known feed domain only counts when
our own MTA did not fail its DMARC check.
"""

from __future__ import annotations

import re

from abusebox.parsing.text import normalise
from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.rules.authentication import authserv_id, results
from abusebox.triage.text import domain_matches, sender_domain

# Senders of well-known report feeds and notifiers (AbuseIO and IntelMQ parse the same).
KNOWN_FEEDS: dict[str, str] = {
    "shadowserver.org": "Shadowserver",
    "blocklist.de": "blocklist.de",
    "spamcop.net": "SpamCop",
    "netcraft.com": "Netcraft",
    "abusehub.nl": "AbuseHUB",
    "cyscon.de": "cyscon",
    "clean-mx.de": "clean-mx",
    "projecthoneypot.org": "Project Honey Pot",
    "webiron.com": "WebIron",
    "mynetwatchman.com": "myNetWatchman",
    "jpcert.or.jp": "JPCERT/CC",
    "abuseipdb.com": "AbuseIPDB",
    "abusix.com": "Abusix",
    "ip-echelon.com": "IP-Echelon",
    "copyright-compliance.com": "Copyright Compliance",
    "senderscore.net": "Return Path FBL",
    "fbl.zoho.com": "Zoho FBL",
    "arf.mail.yahoo.com": "Yahoo FBL",
    "aol.net": "AOL FBL",
    "email-abuse.amazonses.com": "Amazon SES complaints",
}
_FEED_SUBJECT = re.compile(
    r"shadowserver .{0,80}report|abuse report|incident report|spamcop|feedback report|"
    r"safe browsing report|notice of (?:claimed|unauthorized)|phishing|botnet|"
    r"不正アクセス|攻撃|インシデント|jpcert",
)


_XARF_FIELDS = re.compile(r"^reported-from:|^report-type:|^schema-url:.*x-arf", re.I | re.M)
_XARF_SOURCE = re.compile(r"^source:|^source-type:", re.I | re.M)


def _feedback_part(ctx: TriageContext) -> bool:
    return any(p.content_type == "message/feedback-report" for p in ctx.parsed.text_parts)


class ArfStructure:
    name = "arf_structure"
    description = "ARF feedback report (RFC 5965: multipart/report with message/feedback-report)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        message = ctx.parsed.email
        if (
            ctx.parsed.content_type == "multipart/report"  # asked first: get_param is slow
            and message is not None
            and str(message.get_param("report-type")).lower() == "feedback-report"
        ):
            return RuleHit(-5.0, "ARF feedback report (multipart/report; report-type=feedback-report)")
        if _feedback_part(ctx):
            return RuleHit(-5.0, "carries a message/feedback-report part (ARF)")
        return None


class XArfStructure:
    name = "xarf_structure"
    description = "X-ARF report (X-ARF header, X-ARF report part or X-ARF v4 JSON)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        if (ctx.parsed.header("X-ARF") or "").strip().lower() == "yes":
            return RuleHit(-5.0, "X-ARF: yes header (machine-readable abuse report)")
        for part in ctx.parsed.text_parts:
            head = part.text[:4000]
            if _XARF_FIELDS.search(head) and _XARF_SOURCE.search(head):
                return RuleHit(-5.0, f"X-ARF report part ({part.filename or part.content_type})")
            if '"xarf_version"' in head:
                return RuleHit(-5.0, "X-ARF v4 JSON report")
        return None


class KnownFeed:
    name = "known_feed"
    description = "sender is a well-known report feed (unless our MTA failed its DMARC)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        domain = sender_domain(ctx.parsed.from_addr)
        if not domain:
            return None
        feed = next((label for suffix, label in KNOWN_FEEDS.items() if domain_matches(domain, suffix)), None)
        if feed is None:
            return None
        ours = (ctx.settings.authserv_id or "").lower()
        for header in ctx.parsed.header_all("Authentication-Results"):
            if ours and authserv_id(header) == ours:
                if results(header).get("dmarc") == "fail":
                    return RuleHit(
                        0.0, f"sender claims to be {feed} but failed DMARC at our MTA: not trusted"
                    )
                break
        score = -4.0
        reason = f"sender {domain} is a known report feed ({feed})"
        if _FEED_SUBJECT.search(normalise(ctx.parsed.subject)):
            score = -5.0
            reason += " and the subject reads like its reports"
        return RuleHit(score, reason)


register(ArfStructure())
register(XArfStructure())
register(KnownFeed())
