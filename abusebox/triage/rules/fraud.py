"""One-click fraud and billing scams (架空請求, ワンクリック詐欺, domain slamming): not incidents.

JPCERT/CC's guidance treats these as fraud to be handled by consumer channels,
not as computer-security incidents: the verdict is `non_incident`, category
`fraud`. Matched in the sender's own text, so someone *reporting* such a mail
while quoting it is not caught by the quote.
"""

from __future__ import annotations

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import count_terms

TERMS: tuple[str, ...] = (
    "ご登録ありがとうございます",
    "ご登録ありがとうございました",
    "登録が完了しました",
    "本登録",
    "料金が未払い",
    "未払い",
    "未納",
    "滞納",
    "ご利用料金",
    "利用料金",
    "延滞金",
    "延滞料",
    "法的措置",
    "法的手続き",
    "裁判",
    "訴訟",
    "差し押さえ",
    "強制執行",
    "退会手続き",
    "退会をご希望",
    "お支払い期限",
    "支払期限",
    "至急ご連絡",
    "本日中",
    "債権回収",
    "有料サイト",
    "動画サイト",
    "アダルトサイト",
    "身辺調査",
    "payment overdue",
    "outstanding balance",
    "final notice",
    "legal action",
    "debt collection",
    "pay within",
    "unpaid invoice",
    "your subscription fee",
    # domain slamming: fake renewal and "search engine submission" notices
    "domain expiration",
    "search engine submission",
    "this is not a bill",
    "under no obligation to pay",
    "secure your listing",
    "ドメインの有効期限",
)


class BillingFraud:
    name = "billing_fraud"
    description = "one-click fraud / billing-scam phrasing (架空請求, ワンクリック詐欺)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        found = count_terms(ctx.own_text, TERMS)
        if len(found) < 2:
            return None
        score = min(9.0, 2.0 * len(found))
        return RuleHit(score, "billing-scam phrasing: " + ", ".join(found[:6]), "fraud")


register(BillingFraud())
