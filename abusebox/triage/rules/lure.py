"""A phishing lure itself, sent to the abuse address: spam, not a report.

"Your mailbox is full, verify your account within 24 hours", 「アカウントを一時的に
ロックしました。本人確認を行ってください」 and "the attached invoice is now overdue" are
what phishing and malspam mails say; a report about
one says so in its own words (report_language) and names the site, which outweighs
this rule. Read in the sender's own text, with a live (not defanged) link required:
reporters defang, lures want the click.
"""

from __future__ import annotations

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import count_terms, urls

TERMS: tuple[str, ...] = (
    "verify your account",
    "verify your identity",
    "verify your email",
    "confirm your account",
    "confirm your identity",
    "confirm your password",
    "update your payment",
    "update your billing",
    "your mailbox",
    "mailbox is full",
    "mailbox quota",
    "storage quota",
    "quota exceeded",
    "will be suspended",
    "will be deactivated",
    "will be closed",
    "permanent account suspension",
    "permanently suspended",
    "failure to verify",
    "within 24 hours",
    "within 48 hours",
    "unusual sign-in activity",
    "dear user",
    "dear customer",
    "dear valued customer",
    "click here to",
    "本人確認",
    "アカウントを一時的に",
    "アカウントがロック",
    "ロックしました",
    "利用制限",
    "永久に停止",
    "停止されます",
    "24時間以内",
    "以下のリンク",
    "下記のリンク",
    "お支払い情報の更新",
    "パスワードの再設定",
    # malspam: an "invoice" to open
    "attached invoice",
    "invoice attached",
    "open the invoice",
    "view the invoice",
    "now overdue",
    "payment is overdue",
    "late fee",
    "process the payment",
    "請求書を添付",
    "請求書をご確認",
)
MIN_TERMS = 3


class PhishingLure:
    name = "phishing_lure"
    description = "the wording of a phishing lure (verify your account, 本人確認 ...) with a live link"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        text = ctx.own_text
        found = count_terms(text, TERMS)
        if len(found) < MIN_TERMS or not urls(text):
            return None
        score = min(5.0, 1.5 * len(found))
        return RuleHit(score, "phishing-lure wording with a link: " + ", ".join(found[:6]), "spam")


register(PhishingLure())
