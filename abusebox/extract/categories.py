"""Category of a report (or one log line) from English and Japanese vocabulary, and RSIT mapping.

Each vocabulary entry adds a weight to its category; where a word stands scales it
(the subject and the first lines count more, quoted text and signatures less).
Ties go to the more specific category (brute-force over intrusion-attempt over other),
so the result is deterministic. The categories are DESIGN.md's vocabulary exactly.
"""

from __future__ import annotations

import re
from collections import defaultdict

from abusebox.core.taxonomy import RSIT as RSIT
from abusebox.core.taxonomy import taxonomy as taxonomy
from abusebox.parsing.literals import PatternSet
from abusebox.parsing.text import ascii_lower, digit_shape, lowered_pattern

# Specific before generic: the order breaks ties.
_PRECEDENCE = (
    "phishing",
    "brute-force",
    "dos",
    "malware",
    "intrusion",
    "vulnerable",
    "scan",
    "spam",
    "fraud",
    "intrusion-attempt",
    "other",
)


_RSIT_TYPES: dict[str, str] = {
    "scanner": "scan",
    "scanning": "scan",
    "sniffing": "scan",
    "brute-force": "brute-force",
    "login-attempts": "brute-force",
    "ids-alert": "intrusion-attempt",
    "exploit": "intrusion-attempt",
    "privileged-account-compromise": "intrusion",
    "unprivileged-account-compromise": "intrusion",
    "application-compromise": "intrusion",
    "system-compromise": "intrusion",
    "compromised": "intrusion",
    "defacement": "intrusion",
    "burglary": "intrusion",
    "unauthorised-information-access": "intrusion",
    "unauthorised-information-modification": "intrusion",
    "dos": "dos",
    "ddos": "dos",
    "sabotage": "dos",
    "infected-system": "malware",
    "c2-server": "malware",
    "c2server": "malware",
    "malware-distribution": "malware",
    "malware-configuration": "malware",
    "malware-dga-domain": "malware",
    "malware": "malware",
    "botnet-drone": "malware",
    "infected": "malware",
    "ransomware": "malware",
    "dropzone": "malware",
    "spam": "spam",
    "phishing": "phishing",
    "masquerade": "fraud",
    "unauthorized-use-of-resources": "fraud",
    "unauthorised-use-of-resources": "fraud",
    "weak-crypto": "vulnerable",
    "ddos-amplifier": "vulnerable",
    "potentially-unwanted-accessible": "vulnerable",
    "information-disclosure": "vulnerable",
    "vulnerable-system": "vulnerable",
    "vulnerable-service": "vulnerable",
    "vulnerable-client": "vulnerable",
    "blacklist": "other",
    "copyright": "other",
    "harmful-speech": "other",
    "violence": "other",
    "outage": "other",
    "social-engineering": "other",
    "tor": "other",
    "proxy": "other",
    "test": "other",
    "unknown": "other",
    "undetermined": "other",
    "other": "other",
}
_RSIT_TAXONOMIES: dict[str, str] = {
    "information-gathering": "scan",
    "intrusion-attempts": "intrusion-attempt",
    "intrusions": "intrusion",
    "availability": "dos",
    "malicious-code": "malware",
    "abusive-content": "spam",
    "vulnerable": "vulnerable",
    "fraud": "fraud",
    "information-content-security": "intrusion",
    "other": "other",
    "test": "other",
}


def category_from_rsit(type_or_taxonomy: str) -> str | None:
    """Our category for an RSIT/IntelMQ classification type or taxonomy (or ``taxonomy/type``)."""
    value = type_or_taxonomy.strip().lower().replace("_", "-").replace(" ", "-")
    if not value:
        return None
    if "/" in value:
        tax, _, kind = value.partition("/")
        specific = _RSIT_TYPES.get(kind)
        if specific and specific != "other":
            return specific
        return _RSIT_TAXONOMIES.get(tax) or specific
    return _RSIT_TYPES.get(value) or _RSIT_TAXONOMIES.get(value)


# The vocabulary matches ASCII letters in either case and nothing else case-blind
# (re.IGNORECASE | re.ASCII). The same matching, faster: the entries and the text with
# their ASCII letters lowered (parsing.text.lowered_pattern, which refuses an upper-case
# escape), searched case-sensitively.
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(lowered_pattern(pattern), re.ASCII)  # ASCII: \b works next to kana


# (pattern, category, weight). English words are bounded; Japanese has no word boundaries.
_VOCABULARY: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (
        _rx(
            r"brute[\s-]?forc\w*|dictionary attack|password (?:spray|guess)\w*|credential stuffing"
            r"|guess\w* (?:the |their |user )?passwords?|credential guess\w*|default credentials? guess\w*"
        ),
        "brute-force",
        3.0,
    ),
    (
        _rx(
            r"failed password|invalid user|authentication failures?|login attempts?"
            r"|failed (?:\w+ ){0,2}(?:logins?|log-ins?|logons?|authentications?)"
        ),
        "brute-force",
        2.0,
    ),
    (
        _rx(r"\bfail2ban\b|\bsshd\b.{0,40}(?:fail|invalid)|too many (?:authentication|login)"),
        "brute-force",
        2.0,
    ),
    (_rx(r"failed to log ?on|logon failure|\bEvent ?ID:? ?4625\b"), "brute-force", 2.0),
    (
        _rx(
            r"総当たり|総当り|ブルートフォース|パスワードリスト攻撃|辞書攻撃|ログイン試行|認証失敗|不正ログイン試行"
            r"|パスワード(?:を)?推測"
        ),
        "brute-force",
        3.0,
    ),
    (
        _rx(
            r"暴力破解|口令破解|密碼破解|무차별\s?대입|подбор\w* парол\w*|перебор\w* парол\w*"
            r"|Anmeldeversuch\w*|Login-Versuch\w*|Passwort-?Rate\w*"
        ),
        "brute-force",
        3.0,
    ),
    (
        _rx(
            r"port[\s-]?scan\w*|\bscann(?:ing|er|ed)\b|\bscans?\b|\bnmap\b|\bmasscan\b|\bzmap\b|probing|\bprobes?\b"
        ),
        "scan",
        2.0,
    ),
    # A vulnerability scanner probing is a scan, not a vulnerable host; unsolicited
    # connection attempts (to sensors, darknets) are scans too.
    (_rx(r"vulnerability scan\w*|connection attempts?|unsolicited connections?"), "scan", 2.0),
    (_rx(r"\bSYN\b|\bDPT=\d+"), "scan", 0.5),
    (_rx(r"ポートスキャン|スキャン|探索行為|偵察"), "scan", 2.0),
    (_rx(r"\bnet ?scan\b"), "scan", 3.0),
    # Chinese, Korean, German and Russian scan wording.
    (_rx(r"端口扫描|扫描|掃描|포트\s?스캔|스캔|сканировани\w*|portscans?\b|Portscan"), "scan", 2.0),
    (_rx(r"\bD?DoS\b|denial[\s-]of[\s-]service|\bflood(?:ing)?\b|\bamplification attack"), "dos", 3.0),
    (_rx(r"サービス妨害|サービス不能|DoS攻撃|DDoS攻撃|大量のトラフィック"), "dos", 3.0),
    # How a Japanese site owner describes a DoS: 大量のアクセス, サイトが表示されない, 高負荷.
    (_rx(r"大量のアクセス|大量アクセス|表示されない|応答がない|応答しない|高負荷|アクセス集中"), "dos", 2.5),
    (_rx(r"phish\w*|credential harvest\w*|fake login page"), "phishing", 3.0),
    (_rx(r"フィッシング"), "phishing", 3.0),
    (
        _rx(
            r"malware|\bvirus\b|trojan|ransomware|\bbotnet\b|\bbot\b|\bC2\b|\bC&C\b|command[\s-]and[\s-]control|sinkhole|infected|drone"
        ),
        "malware",
        2.5,
    ),
    (
        _rx(r"マルウェア|ウイルス|ウィルス|ボット|感染|ランサムウェア|不正プログラム|シンクホール"),
        "malware",
        2.5,
    ),
    (_rx(r"恶意代码|恶意软件|惡意程式|惡意軟體|木马|木馬|악성\s?코드|악성코드|вредонос\w*"), "malware", 2.5),
    # Family names in feed rows and sinkhole reports: each row names the infection.
    (
        _rx(
            r"\b(?:mirai|gafgyt|bashlite|mozi|emotet|qakbot|qbot|trickbot|icedid|dridex|conficker"
            r"|andromeda|avalanche|necurs|zeus|ramnit|sality|pushdo|tinba|nymaim|redline|lokibot"
            r"|agenttesla|formbook|asyncrat|cobalt ?strike)\b"
        ),
        "malware",
        2.0,
    ),
    (
        _rx(
            r"vulnerab\w*+(?![\s-]scan)|open (?:dns )?resolver|open ntp"
            r"|\bopen (?:memcached|redis|snmp|ssdp|mdns|portmapper|proxy)\b"
            r"|monlist|amplifi\w*|exposed|accessible|open[_\s]database|\bno authentication\b"
        ),
        "vulnerable",
        2.0,
    ),
    (_rx(r"脆弱|公開されている|アクセス可能な状態|オープンリゾルバ|踏み台|設定不備"), "vulnerable", 2.0),
    (_rx(r"\bspam\w*|unsolicited (?:bulk |commercial )?e-?mail|\bUBE\b|\bUCE\b"), "spam", 2.0),
    (_rx(r"迷惑メール|スパム"), "spam", 2.0),
    (_rx(r"\bfraud\w*|\bscam\w*|advance[\s-]fee|fake shop"), "fraud", 2.0),
    (_rx(r"詐欺|架空請求|偽サイト|偽ショッピング"), "fraud", 2.0),
    (
        _rx(
            r"(?<!\bno )intrusion\b(?! attempt| detection| prevention)|defac\w*|web ?shell|backdoor|hacked"
            r"|unauthori[sz]ed access|breach"
        ),
        "intrusion",
        2.5,
    ),
    # Weaker: a "compromised host" in a botnet is an infected system (malware) first.
    (_rx(r"compromised"), "intrusion", 1.5),
    (
        _rx(r"侵入(?!試行|の試み)|改ざん|改竄|乗っ取|踏み台化|ウェブシェル|バックドア"),
        "intrusion",
        2.5,
    ),
    # 不正アクセス is how Japanese reports name any unwanted access (a scan, password
    # guessing, a break-in): an umbrella word, so a technique the report names (ポート
    # スキャン, 総当たり) outweighs it even from the subject; alone it still says intrusion.
    (_rx(r"不正アクセス"), "intrusion", 1.0),
    (
        _rx(
            r"exploit\w*|intrusion attempts?|attack(?:s|ed|ing)?\b"
            r"|\bCVE-\d{4}-\d+|sql injection|\bSQLi\b|\bXSS\b|path traversal|\bRCE\b|\bids\b|\bips alert"
        ),
        "intrusion-attempt",
        1.0,
    ),
    (_rx(r"攻撃|侵入試行|侵入の試み|エクスプロイト|不正な通信|インジェクション"), "intrusion-attempt", 1.0),
    # Copyright notices (DMCA, ACNS) are not security incidents but still reports: other.
    (
        _rx(r"copyright|\bDMCA\b|claimed infringement|infring\w*|\bACNS\b|pirated|piracy"),
        "other",
        3.0,
    ),
    (_rx(r"著作権|知的財産|海賊版"), "other", 3.0),
)
# "> " and "| " quote; a line with more pipes is a table row ("| ts | ip | malware |").
_QUOTED = re.compile(r"^\s*(?:>|\|(?!.*\|))")
_SIGNATURE = re.compile(r"^(?:-- ?|_{5,}|-{5,}|={5,})\s*$")
_MAX_HITS_PER_ENTRY = 3  # one repeated word in a 10,000-line log must not outweigh everything
_CANDIDATES = PatternSet([pattern for pattern, _category, _points in _VOCABULARY])


def _line_factors(lines: list[str], weight: float) -> list[float]:
    """How much a hit on each line counts (0.0 for a blank line, which never counts)."""
    signature_at = next((n for n, line in enumerate(lines) if _SIGNATURE.match(line)), len(lines))
    factors: list[float] = []
    for number, line in enumerate(lines):
        if not line.strip():
            factors.append(0.0)
            continue
        factor = weight * (2.0 if number < 5 else 1.0)
        if number >= signature_at or _QUOTED.match(line):
            factor *= 0.25
        factors.append(factor)
    return factors


def category_scores(text: str, *, weight: float = 1.0) -> dict[str, float]:
    """Weighted vocabulary score per category for ``text``.

    The first lines count double, quoted lines and anything after a signature
    delimiter a quarter; each vocabulary entry counts at most three times.

    Each entry is searched only on the lines that hold one of its required literals
    (``PatternSet``), and the hits are added up line by line, entry by entry: the
    order, and so every float, is that of searching every line with every entry.
    """
    lines = ascii_lower(text[:200_000]).splitlines()
    factors = _line_factors(lines, weight)
    candidates = _CANDIDATES.candidate_lines(lines)
    every_line = range(len(lines))
    hits: list[tuple[int, int]] = []
    shapes: dict[int, str] = {}  # line number -> line_shape: log lines repeat theirs
    found: dict[tuple[int, str], bool] = {}  # (entry, shape) -> does the entry match
    for index, (pattern, _category, _points) in enumerate(_VOCABULARY):
        numbers = every_line if index in _CANDIDATES.always else candidates.get(index, ())
        counted = 0
        for number in numbers:
            if not factors[number]:
                continue
            shape = shapes.get(number)
            if shape is None:
                shape = shapes[number] = line_shape(lines[number])
            hit = found.get((index, shape))
            if hit is None:
                hit = found[index, shape] = pattern.search(lines[number]) is not None
            if hit:
                hits.append((number, index))
                counted += 1
                if counted >= _MAX_HITS_PER_ENTRY:
                    break
    hits.sort()
    scores: dict[str, float] = defaultdict(float)
    for number, index in hits:
        _pattern, category, points = _VOCABULARY[index]
        scores[category] += points * factors[number]
    return dict(scores)


def best_category(scores: dict[str, float]) -> str | None:
    """The category with the highest score; ties by specificity; None when nothing scored."""
    if not scores:
        return None
    return max(scores, key=lambda c: (scores[c], -_PRECEDENCE.index(c)))


def category_from_text(text: str, *, subject: str = "") -> str | None:
    """The category a text is about (the subject, when given, weighs three times)."""
    scores = category_scores(text)
    if subject:
        for category, points in category_scores(subject, weight=1.5).items():
            scores[category] = scores.get(category, 0.0) + points
    return best_category(scores)


# The vocabulary reads digits only through \d and \w, but in these words: a line without
# them gets the category its shape with every digit as 0 gets (tests check the list
# against the vocabulary).
DIGIT_WORDS = ("c2", "4625", "fail2ban")


def line_shape(line: str) -> str:
    """A key under which lines get one line_category: log lines that differ only in their
    timestamps, pids and ports share it; a line holding one of DIGIT_WORDS is its own."""
    return digit_shape(line, DIGIT_WORDS)


def line_category(line: str) -> str | None:
    """The category one log or report line shows by itself (``Failed password`` -> brute-force)."""
    scores: dict[str, float] = {}
    line = ascii_lower(line)
    for index in sorted(_CANDIDATES.candidates(line)):
        pattern, category, points = _VOCABULARY[index]
        if pattern.search(line):
            scores[category] = scores.get(category, 0.0) + points
    return best_category(scores)
