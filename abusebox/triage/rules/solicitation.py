"""Sales mail and general questions: mail for a person, not an incident queue."""

from __future__ import annotations

import re

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import URL_PATTERN, count_terms

SALES: tuple[str, ...] = (
    "seo services",
    "seo service",
    "search engine optimization",
    "web design",
    "website redesign",
    "partnership",
    "business proposal",
    "collaboration",
    "request a quote",
    "free quote",
    "quotation",
    "our services",
    "our company offers",
    "we offer",
    "special offer",
    "discount",
    "schedule a call",
    "book a demo",
    "lead generation",
    "営業",
    "ご提案",
    "弊社サービス",
    "サービスのご案内",
    "ご案内",
    "資料請求",
    "お見積",
    "導入事例",
    "無料相談",
    "商談",
    "キャンペーン",
    "セミナー",
)
QUESTION: tuple[str, ...] = (
    "お問い合わせ",
    "問い合わせ",
    "教えてください",
    "教えていただけ",
    "質問",
    "どうすれば",
    "でしょうか",
    "ますか",
    "how do i",
    "how can i",
    "could you tell",
    "i have a question",
    "question about",
    "is it possible",
    "i would like to know",
    "can you help",
)
_QUESTION_MARK = re.compile(r"[?？]")


class Solicitation:
    name = "solicitation"
    description = "sales mail and general questions without evidence (non-incidents)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        if ctx.has_evidence:
            return None
        text = ctx.own_text
        sales = count_terms(text, SALES)
        if len(sales) >= 2:
            return RuleHit(min(5.0, 1.5 * len(sales)), "sales mail: " + ", ".join(sales[:5]), "non_incident")
        if ctx.sources:  # a question about an address may well be a report
            return None
        question = count_terms(text, QUESTION)
        if question:
            return RuleHit(3.0, f"a general question ({', '.join(question[:4])}), no address", "non_incident")
        if _QUESTION_MARK.search(URL_PATTERN.sub(" ", text)):  # the "?" of a URL query is no question
            return RuleHit(1.0, "a question mark and no address", "non_incident")
        return None


register(Solicitation())
