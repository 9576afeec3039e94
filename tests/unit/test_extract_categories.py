"""category_from_text and the RSIT mapping."""

from __future__ import annotations

import pytest

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
