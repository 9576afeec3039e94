"""Spam vocabulary in the sender's own text, English and Japanese.

Topics: pharmacy, crypto and investment, lottery and prizes, loans, dating and
side jobs. One term is noise (a report may mention "bitcoin"); several distinct
terms, or terms from several topics, are the signal.
"""

from __future__ import annotations

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import count_terms

TOPICS: dict[str, tuple[str, ...]] = {
    "pharmacy": (
        "viagra",
        "cialis",
        "levitra",
        "pharmacy",
        "pills",
        "prescription",
        "weight loss",
        "erectile",
        "バイアグラ",
        "精力剤",
        "ダイエット",
    ),
    "crypto": (
        "bitcoin",
        "crypto",
        "btc",
        "ethereum",
        "forex",
        "trading signal",
        "guaranteed return",
        "passive income",
        "investment opportunity",
        "仮想通貨",
        "暗号資産",
        "ビットコイン",
        "投資",
        "fx",
        "必ず儲かる",
        "元本保証",
    ),
    "lottery": (
        "lottery",
        "you have won",
        "you won",
        "winner",
        "prize",
        "jackpot",
        "claim your",
        "congratulations",
        "当選",
        "賞金",
        "懸賞",
        "おめでとうございます",
    ),
    "loan": (
        "loan",
        "credit score",
        "debt relief",
        "low interest",
        "融資",
        "キャッシング",
        "借入",
        "即日",
    ),
    "seo": (
        "продвижение сайтов",
        "продвижению сайтов",
        "топ-10",
        "поисковых системах",
        "аудит сайта",
        "отписаться от рассылки",
        "first page of google",
        "rank your website",
    ),
    "dating": (
        "dating",
        "singles",
        "lonely",
        "hot girls",
        "meet women",
        "adult",
        "出会い",
        "人妻",
        "セフレ",
        "アダルト",
    ),
    "money": (
        "make money",
        "work from home",
        "earn $",
        "extra income",
        "100% free",
        "limited time",
        "act now",
        "risk-free",
        "unsubscribe",
        "副業",
        "高収入",
        "在宅ワーク",
        "簡単に稼",
        "今すぐ",
        "限定",
        "無料",
        "月収",
    ),
}

# Every topic's terms in one automaton: the text is read once, then split by topic.
_ALL_TERMS: tuple[str, ...] = tuple(dict.fromkeys(t for terms in TOPICS.values() for t in terms))


class SpamVocabulary:
    name = "spam_vocabulary"
    description = "pharmacy, crypto, lottery, loan, dating and money-making vocabulary (en/ja)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        text = ctx.own_text
        present = set(count_terms(text, _ALL_TERMS))
        found: dict[str, list[str]] = {}
        if present:
            for topic, terms in TOPICS.items():
                hits = [term for term in terms if term in present]
                if hits:
                    found[topic] = hits
        total = sum(len(v) for v in found.values())
        if total < 2:
            return None
        score = min(7.0, 1.5 * total + (1.0 if len(found) > 1 else 0.0))
        detail = "; ".join(f"{topic}: {', '.join(hits[:4])}" for topic, hits in found.items())
        return RuleHit(score, f"spam vocabulary ({detail})", "spam")


register(SpamVocabulary())
