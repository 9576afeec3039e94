"""category_from_text and the RSIT mapping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abusebox.core.models import CATEGORIES
from abusebox.extract.categories import (
    RSIT,
    category_from_rsit,
    category_from_text,
    category_scores,
    line_category,
    taxonomy,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSHの総当たり攻撃がありました", "brute-force"),
        ("ブルートフォース攻撃を検知", "brute-force"),
        ("パスワードリスト攻撃と思われる不正ログイン試行", "brute-force"),
        ("ポートスキャンを検知しました", "scan"),
        ("貴社のサーバへの不正アクセスを確認", "intrusion"),
        ("Webサイトが改ざんされています", "intrusion"),
        ("弊社サーバへの攻撃がありました", "intrusion-attempt"),
        ("フィッシングサイトが設置されています", "phishing"),
        ("DDoS攻撃を受けました", "dos"),
        ("サービス妨害攻撃", "dos"),
        ("マルウェアに感染している可能性", "malware"),
        ("sinkhole connections from a botnet drone", "malware"),
        ("open resolver reachable from the internet", "vulnerable"),
        ("脆弱なサービスが公開されています", "vulnerable"),
        ("迷惑メールが送信されています", "spam"),
        ("unsolicited bulk email from your server", "spam"),
        ("架空請求の詐欺メール", "fraud"),
        ("Nov 19 03:14:15 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2", "brute-force"),
        ("2026-11-19 fail2ban.actions [1]: NOTICE [sshd] Ban 192.0.2.1", "brute-force"),
        ("[UFW BLOCK] IN=eth0 SRC=192.0.2.1 DST=198.51.100.1 PROTO=TCP DPT=23 SYN", "scan"),
        ("We detected exploit attempts (CVE-2021-44228) from your network", "intrusion-attempt"),
        ("lunch menu for friday", None),
    ],
)
def test_category_from_text(text, expected):
    assert category_from_text(text) == expected


def test_subject_outweighs_a_footer_and_quoted_text():
    body = "Please look at the logs below.\n\n> earlier we discussed phishing\n-- \nphishing awareness week!"
    assert category_from_text(body, subject="Port scan from your network") == "scan"
    assert category_scores("> phishing")["phishing"] < category_scores("phishing")["phishing"]


def test_a_repeated_word_cannot_outweigh_the_rest():
    text = "DDoS attack from your host\n" + "attack\n" * 5000
    assert category_from_text(text) == "dos"


def test_result_is_deterministic_on_ties():
    assert category_from_text("scan spam") == category_from_text("spam scan")


def test_rsit_covers_every_category_and_round_trips():
    assert set(RSIT) == set(CATEGORIES)
    for category in CATEGORIES:
        tax = taxonomy(category)
        assert tax is not None and tax.count("/") == 1
        assert category_from_rsit(tax) == category
    assert taxonomy(None) is None and taxonomy("nonsense") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("infected-system", "malware"),
        ("c2-server", "malware"),
        ("malware-distribution", "malware"),
        ("brute-force", "brute-force"),
        ("scanner", "scan"),
        ("phishing", "phishing"),
        ("vulnerable-system", "vulnerable"),
        ("ddos-amplifier", "vulnerable"),
        ("ddos", "dos"),
        ("spam", "spam"),
        ("blacklist", "other"),
        ("compromised", "intrusion"),
        ("exploit", "intrusion-attempt"),
        ("ids-alert", "intrusion-attempt"),
        ("defacement", "intrusion"),
        ("Information-Gathering", "scan"),
        ("vulnerable/other", "vulnerable"),
        ("fraud/unauthorized-use-of-resources", "fraud"),
        ("no-such-type", None),
        ("", None),
    ],
)
def test_category_from_rsit(value, expected):
    assert category_from_rsit(value) == expected


def test_line_category_is_local_to_the_line():
    assert line_category("Invalid user admin from 192.0.2.1") == "brute-force"
    assert line_category("192.0.2.1") is None


def test_copyright_notices_are_other():
    from abusebox.extract.categories import category_from_text

    text = "Notice of Claimed Infringement\nWe act for the copyright owner; BitTorrent peer 198.51.100.144"
    assert category_from_text(text) == "other"
    assert category_from_text("著作権侵害に関する通知") == "other"


def test_compound_jail_names_take_their_qualifier():
    from abusebox.extract.formats.xarf import xarf_category

    assert xarf_category("postfix-sasl") == "brute-force"  # SMTP AUTH guessing, not spam
    assert xarf_category("apache-wp-login") == "brute-force"
    assert xarf_category("apache-noscript") == "intrusion-attempt"
    assert xarf_category("postfix") == "spam"
    assert xarf_category("sshd") == "brute-force"


def test_sinkhole_rows_with_family_names_are_malware_even_when_called_compromised():
    from abusebox.extract.categories import category_from_text

    text = (
        "hosts in your network appear to be compromised and part of a botnet (sinkhole connections)\n"
        "| Timestamp (UTC)     | IP            | Malware |\n"
        "| 2026-11-19 03:11:52 | 198.51.100.31 | mirai   |\n"
        "| 2026-11-19 03:40:07 | 198.51.100.32 | gafgyt  |\n"
    )
    assert category_from_text(text, subject="Compromised hosts in your network") == "malware"
    assert category_from_text("our web server was compromised, a web shell uploaded") == "intrusion"


def test_password_guessing_in_prose_is_brute_force():
    from abusebox.extract.categories import category_from_text

    assert category_from_text("has been trying to guess passwords on our IMAP server") == "brute-force"


def test_failed_logins_with_a_service_word_between_are_brute_force() -> None:
    from abusebox.extract.categories import category_from_text

    assert category_from_text("our server saw repeated failed SSH logins from 203.0.113.9") == "brute-force"
    assert category_from_text("many failed IMAP authentications") == "brute-force"


# The prefiltered scoring against the plain one it replaced: every line with every entry.
def _scores_line_by_line(text: str, *, weight: float = 1.0) -> dict[str, float]:
    from collections import defaultdict

    from abusebox.extract import categories as c

    scores: dict[str, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    in_signature = False
    for number, line in enumerate(c.ascii_lower(text[:200_000]).splitlines()):
        if c._SIGNATURE.match(line):
            in_signature = True
        if not line.strip():
            continue
        factor = weight * (2.0 if number < 5 else 1.0)
        if in_signature or c._QUOTED.match(line):
            factor *= 0.25
        for index, (pattern, category, points) in enumerate(c._VOCABULARY):
            if counts[index] >= c._MAX_HITS_PER_ENTRY:
                continue
            if pattern.search(line):
                counts[index] += 1
                scores[category] += points * factor
    return dict(scores)


def _line_category_plain(line: str) -> str | None:
    from abusebox.extract import categories as c

    scores: dict[str, float] = {}
    lowered = c.ascii_lower(line)
    for pattern, category, points in c._VOCABULARY:
        if pattern.search(lowered):
            scores[category] = scores.get(category, 0.0) + points
    return c.best_category(scores)


_WORDS = (
    "failed password",
    "Invalid user",
    "sshd",
    "fail",
    "port scan",
    "SCANNING",
    "probe",
    "DDoS",
    "phishing",
    "malware",
    "botnet",
    "C2",
    "open resolver",
    "spam",
    "fraud",
    "intrusion",
    "intrusion detection",
    "compromised",
    "exploit",
    "attack",
    "copyright",
    "総当たり",
    "スキャン",
    "攻撃",
    "不正アクセス",
    "侵入",
    "侵入試行",
    "迷惑メール",
    "大量のアクセス",
    "> ",
    "| ",
    "-- ",
    "-----",
    "\n",
    "\n",
    "\n",
    "  ",
    "198.51.100.7",
    "x",
    "no intrusion",
    "Event ID 4625",
    "Event ID 4624",
    "fail2ban",
    "fail3ban",
    "C3",
    "DPT=22",
    "SYN",
    "vulnerable",
    "mirai",
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=60).map(" ".join), st.sampled_from([1.0, 1.5]))
def test_prefiltered_scores_equal_searching_every_line(text: str, weight: float) -> None:
    assert category_scores(text, weight=weight) == _scores_line_by_line(text, weight=weight)
    for line in text.splitlines()[:5]:
        assert line_category(line) == _line_category_plain(line)


def test_prefiltered_scores_equal_on_every_sample_mail() -> None:
    import email
    from email import policy
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    paths = sorted((root / "examples" / "inbox").rglob("*.eml"))
    for folder in sorted((root / "tests" / "data").glob("fieldtrial*")):
        paths += sorted(folder.glob("*.eml"))
    assert len(paths) > 40
    for path in paths:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        parts = [p for p in message.walk() if p.get_content_maintype() == "text"]
        for part in parts:
            try:
                text = part.get_content()
            except (LookupError, ValueError):
                continue
            assert category_scores(text) == _scores_line_by_line(text), path.name
            for line in text.splitlines():
                assert line_category(line) == _line_category_plain(line), (path.name, line)


def test_every_digit_the_vocabulary_names_is_in_a_digit_word():
    # line_shape writes digits as 0 unless a line holds one of DIGIT_WORDS: that is exact
    # only while no vocabulary entry names a digit outside those words.
    import re as _re

    from abusebox.extract import categories as c

    for pattern, _category, _points in c._VOCABULARY:
        source = _re.sub(r"\\d|\{\d+(?:,\d*)?\}", "", pattern.pattern)
        for word in c.DIGIT_WORDS:
            source = source.replace(word, "")
        assert not _re.search(r"[0-9]", source), pattern.pattern
    assert all("0" not in word for word in c.DIGIT_WORDS)  # a shape holds no other digit


_SHAPE_PIECES = st.sampled_from(
    ["Event ID: 4625", "Event ID: 4624", "C2 ", "c3 ", "server", "DPT=22", "DPT=", "SYN ", "port 22 ",
     "sshd[2004]: ", "Failed password for root", "from 192.0.2.77 ", "Nov 19 03:14:15 ", "botnet ",
     "logon failure", "scan", "2026", "0", "7", " ", "ポートスキャン", "DoS"]
)  # fmt: skip


@given(st.lists(_SHAPE_PIECES, max_size=8).map("".join))
def test_a_line_and_its_shape_get_one_category(line: str) -> None:
    from abusebox.extract.categories import line_shape

    shape = line_shape(line)
    assert line_category(shape) == line_category(line)


def test_lines_of_one_shape_share_the_cache_and_digit_words_do_not():
    from abusebox.extract.freeform import _LineCategories

    cache = _LineCategories()
    assert cache.of("C2 server at 192.0.2.4") == "malware"
    assert cache.of("C3 server at 192.0.2.4") is None  # once read as "C2" by a digit-blind key
    assert cache.of("Event ID: 4625 logon from 192.0.2.4") == "brute-force"
    assert cache.of("Nov 19 03:14:15 sshd[2004]: Failed password for root from 192.0.2.7") == "brute-force"
    assert cache.of("Nov 20 04:15:16 sshd[2005]: Failed password for root from 192.0.2.8") == "brute-force"
