"""Junk that carries addresses and tables, and auto-replies that quote our tickets (issue 14).

Every mail here is written for these tests (not taken from the field trials).
"""

from __future__ import annotations

import base64

from abusebox.core.config import Settings
from abusebox.pipeline.analyze import analyze


def _mail(headers: str, body: str, charset: str = "utf-8") -> bytes:
    encoded = base64.encodebytes(body.encode(charset)).decode()
    return (
        headers.strip() + "\nMIME-Version: 1.0\n"
        f'Content-Type: text/plain; charset="{charset}"\nContent-Transfer-Encoding: base64\n\n{encoded}'
    ).encode()


def _verdict(raw: bytes) -> tuple[str, str | None]:
    analysis = analyze(raw, Settings())
    return analysis.verdict, analysis.category


def test_an_auto_reply_quoting_our_ticket_with_log_lines_is_automated() -> None:
    raw = _mail(
        "From: Ken Ito <k.ito@client.example.net>\nTo: abuse@example.jp\n"
        "Subject: Auto: [Ticket#2026111100000007] 192.0.2.91 scanning\n"
        "Date: Wed, 11 Nov 2026 01:00:00 +0000\nAuto-Submitted: auto-replied",
        "I am currently out of the office and will reply after 20 November.\n\n"
        "> 2026-11-10 22:01:02 UTC 192.0.2.91:4411 -> 198.51.100.3:22 SYN\n"
        "> 2026-11-10 22:01:03 UTC 192.0.2.91:4412 -> 198.51.100.4:22 SYN\n",
    )
    assert _verdict(raw)[0] == "automated"


def test_an_absence_notice_without_the_header_but_with_an_empty_return_path() -> None:
    raw = _mail(
        "From: Jan Vogel <j.vogel@kunde2.example.de>\nTo: abuse@example.jp\n"
        "Subject: Abwesenheitsnotiz: Abuse report: 198.51.100.41 brute force\n"
        "Date: Wed, 11 Nov 2026 09:00:00 +0100\nReturn-Path: <>",
        "Ich bin bis zum 23.11. nicht im Büro. Ihre Nachricht wird nicht weitergeleitet.\n",
    )
    assert _verdict(raw)[0] == "automated"


def test_a_vendor_ad_with_a_sample_detection_table_is_sales_mail() -> None:
    raw = _mail(
        "From: NetHawk <hello@nethawk.example>\nTo: abuse@example.jp\n"
        "Subject: 3 attacks NetHawk stopped yesterday\nDate: Wed, 11 Nov 2026 02:00:00 +0000",
        "Recent detections by NetHawk sensors:\n\n"
        "2026-11-10 01:02:03 UTC  198.51.100.201  RDP brute force\n"
        "2026-11-10 02:03:04 UTC  203.0.113.202   port scan\n\n"
        "Request a demo and get 3 months free. Unsubscribe: https://nethawk.example/u\n",
    )
    assert _verdict(raw)[0] == "non_incident"


def test_a_real_report_with_an_unsubscribe_footer_stays_a_report() -> None:
    raw = _mail(
        "From: Sensor Net <alerts@sensors2.example.org>\nTo: abuse@example.jp\n"
        "Subject: SSH brute force from 203.0.113.77\nDate: Wed, 11 Nov 2026 03:00:00 +0000",
        "2026-11-11 02:55:01 UTC sshd: Failed password for root from 203.0.113.77 port 5522\n"
        "2026-11-11 02:55:04 UTC sshd: Failed password for root from 203.0.113.77 port 5530\n\n"
        "To unsubscribe from these reports reply with STOP.\n",
    )
    assert _verdict(raw) == ("report", "brute-force")


def test_list_mail_reading_like_a_newsletter_is_automated_despite_its_iocs() -> None:
    raw = _mail(
        "From: IOC Digest <digest@iocs.example>\nTo: abuse@example.jp\n"
        "Subject: IOC digest vol. 88\nDate: Wed, 11 Nov 2026 04:00:00 +0000\n"
        "List-Id: <iocs.lists.example>\nList-Unsubscribe: <mailto:leave@iocs.example>",
        "Top sources this week\n2026-11-09 10:00:00 UTC 192.0.2.150 telnet brute force\n"
        "2026-11-09 11:00:00 UTC 192.0.2.151 SMB exploit attempt\nUnsubscribe any time.\n",
    )
    assert _verdict(raw)[0] == "automated"


def test_an_unsubscribe_request_quoting_a_newsletter_is_not_an_incident() -> None:
    raw = _mail(
        "From: Li Wei <li@reader2.example.com>\nTo: abuse@example.jp\n"
        "Subject: Re: IOC digest vol. 87\nDate: Wed, 11 Nov 2026 05:00:00 +0000",
        "Please take me off this list.\n\n> 2026-11-02 10:00:00 UTC 192.0.2.140 SSH scanner\n",
    )
    assert _verdict(raw)[0] == "non_incident"


def test_a_forwarded_one_click_fraud_mail_asking_for_advice_is_fraud() -> None:
    raw = _mail(
        "From: 佐藤 <sato@home2.example.ne.jp>\nTo: abuse@example.jp\n"
        "Subject: Fwd: ご利用料金のお支払いについて\nDate: Wed, 11 Nov 2026 20:00:00 +0900",
        "このメールは本物でしょうか？どうすればいいですか。\n\n"
        "-------- Forwarded Message --------\n"
        "お客様の端末（IPアドレス 203.0.113.199）を記録しました。\n"
        "有料サイトのご利用料金 99,000円 が未納です。本日中にご連絡ください。\n",
    )
    assert _verdict(raw) == ("non_incident", "fraud")


def test_sextortion_naming_an_address_is_spam() -> None:
    raw = _mail(
        "From: x <x@mailer.example.top>\nTo: abuse@example.jp\n"
        "Subject: I know what you did\nDate: Wed, 11 Nov 2026 06:00:00 +0000",
        "I am a hacker. I infected your device through your router 198.51.100.250 and recorded a video.\n"
        "Send 0.05 BTC to my wallet within 48 hours or I send it to all your contacts.\n",
    )
    assert _verdict(raw)[0] == "spam"


def test_a_calendar_invitation_about_an_incident_is_not_a_report() -> None:
    raw = (
        b"From: SOC Lead <lead@example.jp>\nTo: abuse@example.jp\n"
        b"Subject: Invitation: post-mortem 192.0.2.91 scan\nDate: Wed, 11 Nov 2026 07:00:00 +0000\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nPost-mortem of the scan from 192.0.2.91.\n"
        b"--b\nContent-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nMETHOD:REQUEST\n"
        b"BEGIN:VEVENT\nDTSTART:20261112T010000Z\nSUMMARY:post-mortem\nEND:VEVENT\nEND:VCALENDAR\n--b--\n"
    )
    assert _verdict(raw)[0] == "non_incident"


def test_a_pill_offer_with_a_discount_and_an_opt_out_is_spam_not_a_vendor_advert() -> None:
    raw = _mail(
        "From: Best Meds <deals@pills.example.biz>\nTo: abuse@example.jp\n"
        "Subject: 70% off today only\nDate: Wed, 11 Nov 2026 01:00:00 +0000",
        "Cheap viagra and cialis, no prescription needed: 70% off your first order.\n"
        "Pay with bitcoin. To unsubscribe reply STOP.\n",
    )
    assert _verdict(raw)[0] == "spam"
    # The same shape from a security vendor (a trial offer, an opt-out) stays sales mail.
    vendor = _mail(
        "From: Sales <sales@edr-vendor.example.com>\nTo: abuse@example.jp\n"
        "Subject: See what our sensors caught this week\nDate: Wed, 11 Nov 2026 01:00:00 +0000",
        "Start your free trial of our detection platform today: 20% off the first year.\n"
        "To unsubscribe from marketing emails, click here.\n",
    )
    assert _verdict(vendor)[0] == "non_incident"
