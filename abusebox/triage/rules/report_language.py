"""Words of someone reporting abuse: "phishing site hosted at your IP", 不正アクセス ...

Read from the sender's own text only (not what they quote), so a phishing report
counts as a report even though the phishing mail it quotes looks like spam.
"""

from __future__ import annotations

import re

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import count_terms

TERMS: tuple[str, ...] = (
    "abuse report",
    "abuse complaint",
    "phishing site",
    "phishing page",
    "phishing url",
    "phishing kit",
    "hosted at",
    "hosted on your",
    "your network",
    "your ip",
    "your server",
    "your customer",
    "take down",
    "takedown",
    "brute force",
    "brute-force",
    "port scan",
    "portscan",
    "ddos",
    "malware",
    "botnet",
    "compromised host",
    "compromised server",
    "attack from",
    "attacks from",
    "attacking",
    "unauthorized access",
    "intrusion",
    "log excerpt",
    "log lines",
    "logs below",
    "please investigate",
    "complaint about",
    "incident report",
    "security incident",
    "spam originating",
    "sent spam",
    "不正アクセス",
    "攻撃",
    "フィッシングサイト",
    "フィッシング",
    "マルウェア",
    "ウイルス感染",
    "ブルートフォース",
    "ポートスキャン",
    "改ざん",
    "踏み台",
    "インシデント",
    "ログを添付",
    "アクセスログ",
    "ログの抜粋",
    "ご対応",
    "調査をお願い",
    "貴組織",
    "貴社ネットワーク",
    "通報",
)
_SUBJECT_IP = re.compile(
    r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])|\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}\b"
)


class ReportLanguage:
    name = "report_language"
    description = "the sender's own text uses the words of an abuse report"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        found = count_terms(ctx.own_text, TERMS)
        subject_ip = bool(_SUBJECT_IP.search(ctx.parsed.subject))
        if not found and not subject_ip:
            return None
        wording = min(3.0, 1.0 * len(found))
        if not ctx.sources and not subject_ip:
            wording /= 2  # words about abuse without any address are talk, not a report
        score = -wording - (1.0 if subject_ip else 0.0)
        bits = []
        if found:
            bits.append("report wording: " + ", ".join(found[:5]))
        if subject_ip:
            bits.append("the subject names an address")
        return RuleHit(score, "; ".join(bits))


register(ReportLanguage())
