"""Roles decided beyond one line (rolepass.py) and the other fixes of the second field trial."""

from __future__ import annotations

from abusebox.core.config import Settings
from abusebox.extract.freeform import extract_freeform
from abusebox.extract.ips import find_ips
from abusebox.extract.timeparts import find_time_parts
from abusebox.parsing.mime import parse_message
from abusebox.parsing.text import html_to_text
from abusebox.pipeline.analyze import analyze


def _mail(body: str, subject: str = "Abuse report", date: str = "Mon, 23 Mar 2026 13:00:00 +0000") -> bytes:
    head = (
        f"From: reporter@example.org\nTo: abuse@example.net\nSubject: {subject}\nDate: {date}\n"
        "Message-ID: <t@example.org>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    )
    return head.encode() + body.encode("utf-8")


def _roles(raw: bytes) -> dict[str, str]:
    extraction = extract_freeform(parse_message(raw))
    return {o.ip: o.role for o in extraction.observations}


def test_the_infected_host_is_the_source_and_its_c2_is_not() -> None:
    body = "Infected IP:     203.0.113.33\nSinkhole IP:     198.51.100.200\nOriginal C2:     192.0.2.250\n"
    assert _roles(_mail(body)) == {
        "203.0.113.33": "source",
        "198.51.100.200": "target",
        "192.0.2.250": "target",
    }


def test_a_c2_server_alone_is_the_offender() -> None:
    assert _roles(_mail("C2 server:   192.0.2.250 (tcp/443)\n")) == {"192.0.2.250": "source"}


def test_a_heading_above_an_address_only_line_is_its_key() -> None:
    body = (
        "1 感染が疑われる端末のIPアドレス\n  192.0.2.140\n2 通信先（C2サーバ）\n  203.0.113.250 (TCP/8443)\n"
    )
    assert _roles(_mail(body)) == {"192.0.2.140": "source", "203.0.113.250": "target"}


def test_addresses_listed_after_a_key_share_it() -> None:
    body = "Source IP: 192.0.2.201\nDestination IPs:    198.51.100.41, 198.51.100.42 and 198.51.100.43\n"
    roles = _roles(_mail(body))
    assert roles == {"192.0.2.201": "source", "198.51.100.41": "target", "198.51.100.42": "target",
                     "198.51.100.43": "target"}  # fmt: skip


def test_taishou_alone_is_the_offender_but_beside_a_source_the_victim() -> None:
    assert _roles(_mail("対象ＩＰ：２０３．０．１１３．９９\n")) == {"203.0.113.99": "source"}
    both = "送信元IPアドレス : 203.0.113.45\n攻撃対象 : 198.51.100.22\n"
    assert _roles(_mail(both)) == {"203.0.113.45": "source", "198.51.100.22": "target"}


def test_uncued_addresses_beside_the_subjects_source_are_its_targets() -> None:
    body = "2026-03-01 12:00:01 -0500  198.51.100.99  43211  192.0.2.15  23  6\n"
    roles = _roles(_mail(body, subject="Report of attacks from your network (198.51.100.99)"))
    assert roles == {"198.51.100.99": "source", "192.0.2.15": "target"}
    # Without the subject naming it, nothing tells the two apart: both stay sources.
    assert set(_roles(_mail(body)).values()) == {"source"}


def test_a_date_ending_a_wrapped_line_dates_the_time_starting_the_next() -> None:
    body = "our IDS detected SMB scanning from 192.0.2.99 on 2026-03-18 at\n14:22:10 CET against us.\n"
    extraction = extract_freeform(parse_message(_mail(body)))
    assert [o.time.isoformat() for o in extraction.observations if o.ip == "192.0.2.99"] == [
        "2026-03-18T13:22:10+00:00"
    ]


def test_time_forms_ordinal_day_at_sign_and_a_label_colon() -> None:
    (wp,) = find_time_parts("Thursday 12th March 2026 @ 07:05:31 AM (UTC)")
    assert (wp.year, wp.month, wp.day, wp.hour, wp.second) == (2026, 3, 12, 7, 31)
    (ja,) = find_time_parts("検知時刻：２０２６／３／２２　１：０２：０３")
    assert (ja.year, ja.month, ja.day, ja.hour, ja.minute) == (2026, 3, 22, 1, 2)
    assert len(find_time_parts("10:2026-03-22")) <= 1  # still never inside a time


def test_an_address_starting_a_reverse_dns_name_is_no_address() -> None:
    assert find_ips("User hostname: 90.113.0.203.dyn.example.net") == []
    assert [h.ip for h in find_ips("from 192.0.2.1. Then 192.0.2.5.")] == ["192.0.2.1", "192.0.2.5"]


def test_outlook_table_cells_stay_on_their_row() -> None:
    markup = (
        "<table><tr><td><p class=MsoNormal>2026/02/03 10:15:22</p></td>"
        "<td><p class=MsoNormal>203.0.113.10</p></td></tr>"
        "<tr><td><p>2026/02/03 10:20:01</p></td><td><p>203.0.113.11</p></td></tr></table><p>after</p>"
    )
    lines = [ln for ln in html_to_text(markup).splitlines() if ln.strip()]
    assert [ln.split() for ln in lines] == [
        ["2026/02/03", "10:15:22", "203.0.113.10"],
        ["2026/02/03", "10:20:01", "203.0.113.11"],
        ["after"],
    ]


def test_honeypot_csv_with_epoch_and_client_columns_and_the_mails_category() -> None:
    csv = "epoch,client,dport,proto\n1772935200,192.0.2.31,445,tcp\n"
    raw = (
        "From: s@example.org\nTo: abuse@example.net\nSubject: Darknet hits\n"
        "Date: Sun, 08 Mar 2026 06:00:00 +0000\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
        "Unsolicited connection attempts to our darknet sensors.\n--b\n"
        'Content-Type: text/csv\nContent-Disposition: attachment; filename="hits.csv"\n\n' + csv + "--b--\n"
    )
    contract = analyze(raw.encode(), Settings()).contract()
    assert contract["category"] == "scan"
    assert [(o["ip"], o["time"], o["port"]) for o in contract["observations"]] == [
        ("192.0.2.31", "2026-03-08T02:00:00Z", 445)
    ]


def test_jpcert_section_headings_carry_their_values() -> None:
    body = (
        "■対象\n  IPアドレス : 192.0.2[.]88\n\n■日時\n  令和8年2月10日 午後3時20分頃 確認\n\n"
        "■概要\n  フィッシングサイトが稼働しています。\n"
    )
    raw = _mail(body, subject="[JPCERT/CC] インシデント対応依頼 (JPCERT#93018274)")
    contract = analyze(raw, Settings()).contract()
    assert contract["format"] == "jpcert"
    assert [(o["ip"], o["time"]) for o in contract["observations"]] == [
        ("192.0.2.88", "2026-02-10T06:20:00Z")
    ]
