"""The free-text extractor, end to end: Japanese mails in four charsets, log excerpts, bad input."""

from __future__ import annotations

import time

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from paths import DATA as TEST_DATA
from services import corpus_file

from abusebox.core.config import Settings
from abusebox.extract.freeform import extract_freeform
from abusebox.parsing.mime import parse_message
from abusebox.pipeline.analyze import analyze

DATA = TEST_DATA / "ja"


def _mail(
    body: str,
    subject: str = "Abuse report",
    date: str = "Thu, 19 Nov 2026 12:00:00 +0900",
    charset: str = "utf-8",
    extra: str = "",
) -> bytes:
    head = (
        f"From: reporter@example.org\nTo: abuse@example.net\nSubject: {subject}\nDate: {date}\n"
        f"Message-ID: <t@example.org>\nMIME-Version: 1.0\n{extra}"
        f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: 8bit\n\n"
    )
    return head.encode() + body.encode("utf-8")


def _extract(raw: bytes):
    return extract_freeform(parse_message(raw))


def _sources(extraction):
    return [
        (o.ip, o.time.strftime("%Y-%m-%dT%H:%M:%SZ") if o.time else None, o.port)
        for o in extraction.observations
        if o.role == "source"
    ]


# --- Japanese mails, parsed end to end by analyze() ----------------------------------


def _analyze(name: str) -> dict:
    return analyze((DATA / name).read_bytes(), Settings()).contract()


def test_iso2022jp_ssh_brute_force_with_fullwidth_address():
    result = _analyze("iso2022jp_ssh_bruteforce.eml")
    assert result["subject"] == "【通報】SSH総当たり攻撃について"
    assert result["language"] == "ja"
    assert result["category"] == "brute-force"
    assert result["targets"] == ["198.51.100.10"]
    obs = [(o["ip"], o["time"], o["port"], o["category"]) for o in result["observations"]]
    assert obs == [
        ("203.0.113.9", "2026-11-19T13:05:00Z", 22, "brute-force"),  # 22時05分 JST
        ("203.0.113.9", "2026-11-19T13:05:01Z", 22, "brute-force"),  # syslog time, JST stated in prose
        ("203.0.113.9", "2026-11-19T13:05:03Z", 22, "brute-force"),
        ("203.0.113.9", "2026-11-19T13:05:07Z", 22, "brute-force"),
    ]
    # The signature's address and the Received relay are never sources.
    assert "192.0.2.1" not in str(result) and "192.0.2.250" not in str(result["observations"])


def test_shift_jis_port_scan_with_era_date_and_time_of_day_lines():
    result = _analyze("sjis_portscan.eml")
    assert result["subject"] == "ポートスキャンの通知"  # =?Shift_JIS?B?...?=
    assert result["category"] == "scan"
    assert result["targets"] == ["192.0.2.10", "192.0.2.11"]
    obs = [(o["ip"], o["time"], o["port"]) for o in result["observations"]]
    assert obs == [
        ("198.51.100.77", "2026-11-19T06:20:00Z", None),  # 令和8年11月19日 午後3時20分（日本時間）
        ("198.51.100.77", "2026-11-19T06:20:01Z", 23),  # 15:20:01 under the date line 2026年11月19日
        ("198.51.100.77", "2026-11-19T06:20:02Z", 2323),
        ("198.51.100.77", "2026-11-19T06:20:03Z", 8080),
    ]


def test_euc_jp_defacement_with_defanged_url_and_own_monitoring_server():
    result = _analyze("eucjp_defacement.eml")
    assert result["subject"] == "Webサイト改ざんのお知らせ"  # =?EUC-JP?Q?...?=
    assert result["category"] == "intrusion"
    assert result["targets"] == ["192.0.2.33"]  # 弊社の監視サーバ ... から確認: the reporter's own
    assert [(o["ip"], o["time"]) for o in result["observations"]] == [
        ("203.0.113.45", "2026-11-18T01:15:00Z")
    ]


def test_utf8_base64_ddos_list_takes_the_paragraph_time():
    result = _analyze("utf8_ddos.eml")
    assert (result["subject"], result["language"]) == ("DDoS攻撃の通報 (サービス妨害)", "ja")
    assert result["category"] == "dos"
    assert result["targets"] == ["192.0.2.80"]
    assert [(o["ip"], o["time"]) for o in result["observations"]] == [
        ("203.0.113.101", "2026-11-19T12:00:00Z"),
        ("203.0.113.102", "2026-11-19T12:00:00Z"),
        ("2001:db8:1::7", "2026-11-19T12:00:00Z"),
    ]


def test_utf8_phishing_with_fullwidth_time_and_gozen():
    result = _analyze("utf8_phishing.eml")
    assert result["category"] == "phishing"
    assert [(o["ip"], o["time"]) for o in result["observations"]] == [
        ("198.51.100.200", "2026-11-20T01:20:00Z")
    ]


# --- English log excerpts and prose ----------------------------------------------------


def test_iptables_lines_give_sources_targets_and_destination_ports():
    body = (
        "Hello, your host is scanning us. All times are UTC.\n\n"
        "Nov 19 03:14:15 fw kernel: IN=eth0 SRC=203.0.113.5 DST=198.51.100.1 PROTO=TCP SPT=5555 DPT=22 SYN\n"
        "Nov 19 03:14:16 fw kernel: IN=eth0 SRC=203.0.113.5 DST=198.51.100.2 PROTO=TCP SPT=5556 DPT=23 SYN\n"
        "Nov 19 03:14:17 fw kernel: IN=eth0 SRC=203.0.113.5 DST=198.51.100.3 PROTO=TCP SPT=5557 DPT=80 SYN\n"
    )
    extraction = _extract(_mail(body))
    assert extraction.category == "scan"
    assert [r.text for r in extraction.reasons] == ["times without a zone read in UTC, as the report states"]
    assert _sources(extraction) == [
        ("203.0.113.5", "2026-11-19T03:14:15Z", 22),
        ("203.0.113.5", "2026-11-19T03:14:16Z", 23),
        ("203.0.113.5", "2026-11-19T03:14:17Z", 80),
    ]
    assert extraction.targets == ["198.51.100.1", "198.51.100.2", "198.51.100.3"]


def test_fail2ban_and_clf_lines_and_source_ports_are_not_service_ports():
    body = (
        "2026-11-19 03:14:15,123 fail2ban.actions [991]: NOTICE [sshd] Ban 203.0.113.7\n"
        '203.0.113.8 - - [19/Nov/2026:10:20:30 +0900] "POST /wp-login.php HTTP/1.1" 200 512\n'
        "Nov 19 03:14:15 web1 sshd[1]: Failed password for root from 203.0.113.9 port 51234 ssh2\n"
    )
    extraction = _extract(_mail(body, date="Thu, 19 Nov 2026 12:00:00 +0000"))
    assert _sources(extraction) == [
        ("203.0.113.7", "2026-11-19T03:14:15Z", 22),
        ("203.0.113.8", "2026-11-19T01:20:30Z", None),
        ("203.0.113.9", "2026-11-19T03:14:15Z", 22),
    ]
    assert extraction.observations[0].category == "brute-force"


def test_prose_roles_and_reasons():
    body = (
        "Your host 203.0.113.20 attacked our server 198.51.100.50 on port 3306 at 2026-11-19 03:14 CET.\n"
        "Connections from 203.0.113.21 to 198.51.100.51 were blocked.\n"
    )
    extraction = _extract(_mail(body))
    sources = [o for o in extraction.observations if o.role == "source"]
    assert [(o.ip, o.port) for o in sources] == [("203.0.113.20", 3306), ("203.0.113.21", None)]
    assert sources[0].time is not None and sources[0].time.hour == 2  # 03:14 CET = 02:14 UTC
    assert sources[0].time_original == "2026-11-19 03:14 CET"
    assert all(o.reason for o in extraction.observations)
    assert extraction.targets == ["198.51.100.50", "198.51.100.51"]


def test_uncued_address_named_as_a_target_elsewhere_stays_a_target():
    body = (
        "Our web server 198.51.100.9 received attacks.\n\n"
        "198.51.100.9 203.0.113.30 GET /cgi-bin/.%2e/bin/sh\n"
    )
    extraction = _extract(_mail(body))
    assert [o.ip for o in extraction.observations if o.role == "source"] == ["203.0.113.30"]
    assert extraction.targets == ["198.51.100.9"]


def test_forwarded_headers_pgp_armor_signatures_and_reply_headers_are_not_evidence():
    body = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
        "Spam was sent from 203.0.113.40.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Someone <a@example.com>\nDate: Wed, 18 Nov 2026 10:00:00 +0000\n"
        "Received: from relay.example.com (relay.example.com [198.51.100.99])\n"
        "\tby mx.example.net with ESMTP\n"
        "X-Originating-IP: [198.51.100.98]\n\n"
        "On Wed, Nov 18, 2026 at 10:00 AM Someone <a@example.com> wrote:\n"
        "-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE 192.0.2.77\n-----END PGP SIGNATURE-----\n"
        "-- \nJohn, NOC, 192.0.2.78\n"
    )
    extraction = _extract(_mail(body))
    assert [o.ip for o in extraction.observations] == ["203.0.113.40"]
    assert extraction.category == "spam"


def test_nested_rfc822_header_block_is_not_a_source():
    inner = (
        "Received: from evil (unknown [198.51.100.61])\nFrom: x@example.com\nSubject: hi\n"
        "Content-Type: text/plain\n\nBuy now from 203.0.113.60\n"
    )
    raw = (
        "From: r@example.org\nTo: abuse@example.net\nSubject: spam report\n"
        "Date: Thu, 19 Nov 2026 12:00:00 +0000\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
        "Spam from your customer, see attached.\n--b\nContent-Type: message/rfc822\n\n" + inner + "--b--\n"
    ).encode()
    extraction = _extract(raw)
    assert "198.51.100.61" not in [o.ip for o in extraction.observations]
    assert "203.0.113.60" in [o.ip for o in extraction.observations]


def test_time_of_day_without_a_date_on_any_line_has_no_time():
    extraction = _extract(_mail("Blocked 203.0.113.70 at 10:20:30\n"))
    assert _sources(extraction) == [("203.0.113.70", None, None)]


def test_language_is_english_for_english_prose_with_a_japanese_footer():
    body = "We observed a port scan from 203.0.113.80 " * 20 + "\n\n本メールは送信専用です。"
    assert _extract(_mail(body)).language == "en"


# --- bad input -------------------------------------------------------------------------


def test_undecodable_charset_and_absurd_dates():
    raw = (
        _mail(
            "attack from 203.0.113.90 at 1970-01-01 00:00:00 UTC\n"
            "attack from 203.0.113.91 at 2099-01-01 00:00:00 UTC\n"
            "attack from 203.0.113.92 at 2026-02-30 00:00:00 UTC\n"
            "attack from 010.1.1.1\n",
            charset="x-no-such-charset",
        )
        + b"\xff\xfe\x80 garbage 203.0.113.93\n"
    )
    extraction = _extract(raw)
    assert [o.time for o in extraction.observations if o.role == "source"] == [None, None, None, None]
    assert [o.ip for o in extraction.observations] == [
        "203.0.113.90",
        "203.0.113.91",
        "203.0.113.92",
        "203.0.113.93",
    ]


def test_ten_thousand_addresses_in_one_mail_are_all_kept():
    body = "\n".join(f"scan from 10.{i // 250 % 250}.{i % 250}.{i // 62500 + 1}" for i in range(10_000))
    started = time.perf_counter()
    result = analyze(_mail(body), Settings()).contract()
    assert len(result["observations"]) == 10_000
    assert time.perf_counter() - started < 30.0


def test_one_megabyte_of_digits_and_dots_in_a_body():
    started = time.perf_counter()
    extraction = _extract(_mail("1." * 500_000 + "\n" + "1:" * 500_000))
    assert extraction.observations == []
    assert time.perf_counter() - started < 5.0


# --- public corpus ---------------------------------------------------------------------


def test_mynetwatchman_report_from_the_corpus():
    path = corpus_file("mail-abuse/mynetwatchman_msg0.eml")
    extraction = _extract(path.read_bytes())
    assert [(ip, when) for ip, when, _port in _sources(extraction)] == [
        ("10.10.10.10", "2003-10-23T22:13:36Z")
    ]


def test_windows_security_event_lines():
    body = (
        "Event ID 4625: An account failed to log on.\n"
        "Date: 2026/11/19 10:20:30\n"
        "Source Network Address:\t203.0.113.110\n"
        "Source Port:\t50123\n"
    )
    extraction = _extract(_mail(body, date="Thu, 19 Nov 2026 12:00:00 +0900"))
    obs = extraction.observations
    assert [(o.ip, o.category, o.confidence) for o in obs] == [("203.0.113.110", "brute-force", 1.0)]
    assert obs[0].time is not None and obs[0].time.isoformat() == "2026-11-19T01:20:30+00:00"


def test_syslog_host_is_a_target_and_year_comes_from_the_date_header():
    body = "Jan  2 03:00:00 198.51.100.4 sshd[9]: Invalid user oracle from 203.0.113.120 port 4000\n"
    extraction = _extract(_mail(body, date="Sat, 02 Jan 2027 09:00:00 +0000"))
    assert _sources(extraction) == [("203.0.113.120", "2027-01-02T03:00:00Z", 22)]
    assert extraction.targets == ["198.51.100.4"]
    body = "Dec 31 23:00:00 198.51.100.4 sshd[9]: Invalid user oracle from 203.0.113.120 port 4000\n"
    assert (
        _sources(_extract(_mail(body, date="Sat, 02 Jan 2027 09:00:00 +0000")))[0][1]
        == "2026-12-31T23:00:00Z"
    )


@settings(max_examples=60, deadline=None)
@given(
    src=st.ip_addresses(v=4).filter(lambda a: a.is_global and not (a.is_multicast or a.is_reserved)),
    dst=st.ip_addresses(v=4).filter(lambda a: a.is_global and not (a.is_multicast or a.is_reserved)),
    shape=st.integers(0, 3),
)
def test_generated_source_and_target_keep_their_roles(src, dst, shape):
    assume(src != dst)
    line = [
        f"Nov 19 03:14:15 fw kernel: IN=eth0 SRC={src} DST={dst} PROTO=TCP DPT=22",
        f"IP {src}.40000 > {dst}.22: Flags [S]",
        f"attack from {src} to our server {dst}",
        f"{src} から {dst} に対してスキャンがありました",
    ][shape]
    extraction = _extract(_mail(line + "\n"))
    assert [o.ip for o in extraction.observations if o.role == "source"] == [str(src)]
    assert extraction.targets == [str(dst)]


def test_grep_context_separators_do_not_end_the_evidence():
    body = "Brute force from your network:\n" + "".join(
        f"Nov 19 03:14:{i:02d} h sshd[1]: Failed password from 203.0.113.{i + 1} port 4000 ssh2\n--\n"
        for i in range(20)
    )
    assert len(_sources(_extract(_mail(body)))) == 20


def test_language_is_japanese_for_japanese_prose_with_a_long_english_log():
    log = "".join(
        f"Nov 19 03:14:{i % 60:02d} w sshd[1]: Failed password for invalid user admin from 203.0.113.{i}\n"
        for i in range(1, 200)
    )
    body = "以下のとおり総当たり攻撃を受けました。ご対応をお願いします。\n\n" + log
    assert _extract(_mail(body, subject="Report")).language == "ja"


# --- field-trial fixes -------------------------------------------------------------------


def test_source_named_only_in_the_subject():
    extraction = _extract(
        _mail("Hi,\nsee subject. Please make it stop.\n", subject="Port scan from 203.0.113.222")
    )
    assert _sources(extraction) == [("203.0.113.222", None, None)]
    assert extraction.observations[0].reason.startswith("named in the subject")


def test_subject_is_not_read_when_the_body_names_the_source():
    extraction = _extract(
        _mail("Failed password from 192.0.2.5 port 4000 ssh2\n", subject="About 203.0.113.9")
    )
    assert [ip for ip, _t, _p in _sources(extraction)] == ["192.0.2.5"]


def test_first_seen_last_seen_window_gives_the_start():
    body = (
        "We observed port scanning originating from 203.0.113.71 against our network.\n\n"
        "First seen: 11/19/2026 10:20 PM EST\nLast seen:  11/19/2026 11:05 PM EST\n"
    )
    assert _sources(_extract(_mail(body))) == [("203.0.113.71", "2026-11-20T03:20:00Z", None)]


def test_many_times_far_apart_give_no_time():
    body = "Hosts of yours attacked us: 203.0.113.71.\n\n2026-11-01 10:00 UTC\n2026-11-05 10:00 UTC\n"
    assert _sources(_extract(_mail(body))) == [("203.0.113.71", None, None)]


def test_a_log_line_replaces_the_prose_line_that_borrowed_its_time():
    body = (
        "our firewall logged a port scan from 198.51.100.61. Times are CET.\n"
        "Nov 19 10:31:02 fw01 kernel: SRC=198.51.100.61 DST=203.0.113.20 PROTO=TCP SPT=5 DPT=3389\n"
        "Nov 19 10:31:03 fw01 kernel: SRC=198.51.100.61 DST=203.0.113.22 PROTO=TCP SPT=5 DPT=22\n"
    )
    sources = _sources(_extract(_mail(body, date="Thu, 19 Nov 2026 12:00:00 +0100")))
    assert sources == [
        ("198.51.100.61", "2026-11-19T09:31:02Z", 3389),
        ("198.51.100.61", "2026-11-19T09:31:03Z", 22),
    ]


def test_times_in_utc_heading_beats_the_date_header_offset():
    body = (
        "starting at 10:00 PM PST our server 198.51.100.10 was flooded.\n\nNetFlow sample (times in UTC):\n"
        "2026-11-19 06:00:01.123 0.512 UDP 203.0.113.5:123 -> 198.51.100.10:80 1200\n"
    )
    extraction = _extract(_mail(body, date="Thu, 19 Nov 2026 07:00:00 -0800"))
    assert ("203.0.113.5", "2026-11-19T06:00:01Z", 80) in _sources(extraction)
    assert extraction.targets == ["198.51.100.10"]


def test_the_one_login_service_of_a_brute_force_report_gives_the_port():
    body = (
        "Our Windows server (Remote Desktop) logged failed logons (Event ID 4625).\n\n"
        "Network Information:\n\tSource Network Address:\t198.51.100.140\n\tSource Port:\t0\n"
    )
    assert _sources(_extract(_mail(body)))[0][2] == 3389
    # A report naming another login service as well gets no report-wide port.
    mixed = body + '\n198.51.100.141 - - [19/Nov/2026:10:20:30 +0900] "POST /wp-login.php HTTP/1.1" 200 5\n'
    assert {port for _ip, _t, port in _sources(_extract(_mail(mixed)))} == {None}


def test_suricata_eve_json_line():
    body = (
        '{"timestamp":"2026-11-19T10:20:30.123456+0000","event_type":"alert","src_ip":"192.0.2.240",'
        '"src_port":4444,"dest_ip":"198.51.100.10","dest_port":80,"proto":"TCP"}\n'
    )
    extraction = _extract(_mail(body))
    assert _sources(extraction) == [("192.0.2.240", "2026-11-19T10:20:30Z", 80)]
    assert extraction.targets == ["198.51.100.10"]


def test_full_width_service_words_and_proto_slash_port():
    body = "貴社の回線（ＩＰ：１９８．５１．１００．８８）から、\n第三者に対するＳＳＨのスキャン\n"
    assert _sources(_extract(_mail(body))) == [("198.51.100.88", None, 22)]
    assert _sources(_extract(_mail("203.0.113.9 から TCP/3389 へのスキャン\n"))) == [
        ("203.0.113.9", None, 3389)
    ]
