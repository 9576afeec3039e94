"""Two junk kinds the second field trial found read as reports: an HTML phishing lure whose
only link is an href, and a mailing-list digest quoting addresses."""

from __future__ import annotations

from abusebox.core.config import Settings
from abusebox.parsing.text import html_to_text
from abusebox.pipeline.analyze import analyze


def _mail(body: str, subject: str, *, html: bool = False, extra: str = "") -> bytes:
    kind = "html" if html else "plain"
    head = (
        f"From: sender@example.com\nTo: abuse@example.jp\nSubject: {subject}\n"
        f"Date: Tue, 17 Mar 2026 06:45:00 +0900\nMessage-ID: <m@example.com>\nMIME-Version: 1.0\n{extra}"
        f"Content-Type: text/{kind}; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    )
    return head.encode() + body.encode("utf-8")


def test_html_text_keeps_link_targets() -> None:
    text = html_to_text(
        '<p><a class="x" href="http://203.0.113.77/login.php">本人確認はこちら</a></p>', links=True
    )
    assert "http://203.0.113.77/login.php" in text and "本人確認はこちら" in text


def test_an_html_bank_lure_sent_to_abuse_is_spam() -> None:
    body = (
        "<html><body><p>お客様の口座において不正ログインの可能性が検知されたため、お取引を制限しております。</p>"
        "<p>以下のリンクより本人確認を行い、制限を解除してください。</p>"
        '<p><a href="http://203.0.113.77/bank/login.php">本人確認はこちら</a></p>'
        "<p>※24時間以内にお手続きいただけない場合、口座は凍結されます。</p></body></html>"
    )
    analysis = analyze(_mail(body, "【銀行】お客様の口座が一時利用停止となりました", html=True), Settings())
    assert analysis.verdict == "spam", analysis.triage.reasons


def test_a_list_digest_with_addresses_is_not_a_report() -> None:
    body = (
        "Send sec-discuss mailing list submissions to\n\tsec-discuss@lists.example.org\n\n"
        "Today's Topics:\n\n   1. odd DNS traffic (Alice)\n\n"
        "Message: 1\nDate: Wed, 18 Mar 2026 21:14:07 +0000\nFrom: Alice <alice@example.net>\n\n"
        "I saw the same from 192.0.2.44 at 2026-03-18 20:00:00 UTC\n"
        "and from 192.0.2.45 at 2026-03-18 20:05:00 UTC.\n"
    )
    extra = "List-Id: Security discussion <sec-discuss.lists.example.org>\nPrecedence: list\n"
    digest = analyze(_mail(body, "sec-discuss Digest, Vol 48, Issue 12", extra=extra), Settings())
    assert digest.verdict == "automated", digest.triage.reasons
    # The same words in a mail that is not a list digest stay a report.
    plain = analyze(_mail(body.replace("Today's Topics:", "Topics:"), "odd DNS traffic"), Settings())
    assert plain.verdict == "report", plain.triage.reasons
