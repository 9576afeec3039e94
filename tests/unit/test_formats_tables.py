"""Shadowserver CSVs, generic CSV/TSV/JSON attachments, and line feeds."""

from __future__ import annotations

import gzip
import io
import json
import time
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from formats_mail import mail_with_attachment

from abusebox.core.config import LimitSettings, Settings
from abusebox.core.models import Extraction
from abusebox.extract.formats import parse_known_format
from abusebox.extract.formats.shadowserver import category_for, report_type
from abusebox.extract.freeform import extract_freeform
from abusebox.parsing.mime import parse_message
from abusebox.pipeline.analyze import analyze

SHADOW = "autoreports@shadowserver.org"


def run(raw: bytes, settings: Settings | None = None) -> Extraction:
    if settings is None:
        return analyze(raw, Settings()).extraction
    # Custom limits: the MIME and format stages with those limits, as analyze() runs them
    # once extract() passes settings.limits on (see parse_known_format).
    parsed = parse_message(raw, settings.limits)
    return parse_known_format(parsed, settings.limits) or extract_freeform(parsed)


def zipped(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("filename", "subject", "rtype", "category"),
    [
        ("2019-01-06-scan_afp-sample-ip.csv", "", "scan_afp", "vulnerable"),
        ("event4_honeypot_brute_force.csv", "", "event4_honeypot_brute_force", "brute-force"),
        ("2026-11-19-event4_honeypot_ddos_amp-jp-asn.csv", "", "event4_honeypot_ddos_amp", "dos"),
        ("2026-11-19-event4_ddos_participant-jp.csv", "", "event4_ddos_participant", "dos"),
        ("2026-11-19-event4_honeypot_http_scan-jp.csv", "", "event4_honeypot_http_scan", "scan"),
        ("2026-11-19-event6_sinkhole_http-jp.csv", "", "event6_sinkhole_http", "malware"),
        ("2026-11-19-botnet_drone-jp.csv", "", "botnet_drone", "malware"),
        ("phish_url.csv", "", "phish_url", "phishing"),
        ("blocklist.csv", "", "blocklist", "other"),
        ("report.csv", "Shadowserver Japan Drone Report: 2026-11-19", "drone", "malware"),
    ],
)
def test_report_type_and_category(filename: str, subject: str, rtype: str, category: str) -> None:
    assert report_type(filename, subject) == rtype
    assert category_for(rtype) == category


def test_scan_report_zipped_maps_columns_by_name() -> None:
    csv_text = (
        b'"timestamp","severity","ip","protocol","port","hostname","tag","asn"\n'
        b'"2026-11-19 01:20:30","medium","192.0.2.10","tcp",22,"h1.example.jp","ssh",64500\n'
        b'"2026-11-19 01:21:00","medium","2001:db8::5","tcp",2222,,"ssh",64500\n'
    )
    name = "2026-11-19-scan_ssh-jp-asn.csv"
    extraction = run(mail_with_attachment(zipped(name, csv_text), name + ".zip", sender=SHADOW))
    assert extraction.format == "shadowserver"
    assert extraction.category == "vulnerable"
    got = [(o.ip, o.time, o.port, o.category) for o in extraction.observations]
    assert got == [
        ("192.0.2.10", datetime(2026, 11, 19, 1, 20, 30, tzinfo=UTC), 22, "vulnerable"),
        ("2001:db8::5", datetime(2026, 11, 19, 1, 21, tzinfo=UTC), 2222, "vulnerable"),
    ]
    assert extraction.observations[0].evidence.startswith("2026-11-19 01:20:30,medium,192.0.2.10")


def test_gzipped_event_report_dst_ip_is_a_target_not_a_source() -> None:
    csv_text = (
        b'"timestamp","protocol","src_ip","src_port","dst_ip","dst_port","infection"\n'
        b'"2026-11-19 02:00:00","tcp","192.0.2.20",51000,"198.51.100.1",22,"ssh-brute-force"\n'
    )
    name = "2026-11-19-event4_honeypot_brute_force-jp.csv"
    extraction = run(mail_with_attachment(gzip.compress(csv_text), name + ".gz", sender=SHADOW))
    assert [(o.ip, o.port, o.category) for o in extraction.observations] == [
        ("192.0.2.20", 22, "brute-force")
    ]
    assert extraction.targets == ["198.51.100.1"]


def test_cc_sinkhole_and_certificate_columns_are_never_sources_or_times() -> None:
    csv_text = (
        b'"cert_valid_from","cc_ip","cc","sinkhole_ip","timestamp","ip","port","cert_valid_to"\n'
        b'"2020-01-01 00:00:00","203.0.113.66","203.0.113.67","203.0.113.68",'
        b'"2026-11-19 03:00:00","192.0.2.30",443,"2030-01-01 00:00:00"\n'
    )
    name = "2026-11-19-botnet_drone-jp.csv"
    extraction = run(mail_with_attachment(csv_text, name, sender=SHADOW, subtype="csv", maintype="text"))
    assert [(o.ip, o.time) for o in extraction.observations] == [
        ("192.0.2.30", datetime(2026, 11, 19, 3, tzinfo=UTC))
    ]
    assert extraction.targets == []


def test_report_without_a_host_column_yields_no_sources() -> None:
    csv_text = (
        b'"Date","Time","C&C","C&C Port","TGT"\n"2008-11-03","00:00:12","76.76.19.73",1863,"98.124.192.1"\n'
    )
    extraction = run(mail_with_attachment(csv_text, "botnet-ddos.csv", sender=SHADOW))
    assert extraction.format == "shadowserver"
    assert extraction.observations == []
    assert any("no reported-host column" in r.text for r in extraction.reasons)


def test_quoted_printable_soft_wrapped_rows_are_read_whole() -> None:
    long_banner = "SSH-2.0-OpenSSH_9.6 " + "x" * 300
    csv_text = (
        '"timestamp","ip","protocol","port","banner","asn"\n'
        f'"2026-11-19 04:05:06","192.0.2.40","tcp",22,"{long_banner}",64500\n'
    )
    msg = EmailMessage()
    msg["From"] = SHADOW
    msg["To"] = "abuse@example.jp"
    msg["Subject"] = "Shadowserver report"
    msg["Date"] = "Thu, 19 Nov 2026 06:00:00 +0000"
    msg.set_content("see attachment")
    msg.add_attachment(csv_text, subtype="csv", filename="2026-11-19-scan_ssh-jp.csv", cte="quoted-printable")
    raw = msg.as_bytes()
    assert b"=\n" in raw  # the row really is soft-wrapped on the wire
    extraction = run(raw)
    [obs] = extraction.observations
    assert (obs.ip, obs.port) == ("192.0.2.40", 22)
    assert obs.evidence.endswith(f"{long_banner},64500")  # one row, read whole across soft breaks


def test_csv_injection_cells_are_kept_as_data() -> None:
    csv_text = (
        b"timestamp,ip,port,note\n2026-11-19 05:00:00,192.0.2.50,80,\"=cmd|' /C calc'!A0\"\n"
        b"2026-11-19 05:00:01,=1+1,80,@SUM(1)\n"
    )
    extraction = run(mail_with_attachment(csv_text, "2026-11-19-scan_http-jp.csv", sender=SHADOW))
    [obs] = extraction.observations
    assert obs.ip == "192.0.2.50"
    assert "=cmd|' /C calc'!A0" in obs.evidence


def test_fifty_megabyte_csv_is_processed_fully_within_bounds() -> None:
    """Defined behaviour: a table within max_attachment_bytes and max_table_rows is read whole."""
    header = '"timestamp","ip","port","banner"\n'
    pad = "b" * 2000
    rows = [
        f'"2026-11-19 06:{i // 60 % 60:02d}:{i % 60:02d}",'
        f'"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",22,"{i}{pad}"\n'
        for i in range(25_000)
    ]
    data = (header + "".join(rows)).encode()
    assert len(data) > 50_000_000
    settings = Settings(limits=LimitSettings(max_compression_ratio=1000))
    name = "2026-11-19-scan_ssh-jp.csv"
    raw = mail_with_attachment(zipped(name, data), name + ".zip", sender=SHADOW)
    started = time.perf_counter()
    extraction = run(raw, settings)
    assert time.perf_counter() - started < 20
    assert len(extraction.observations) == 25_000
    assert extraction.reasons == []


def test_rows_over_max_table_rows_are_skipped_with_a_reason() -> None:
    rows = "".join(f"2026-11-19 07:00:00,192.0.2.{i % 250 + 1},{1000 + i}\n" for i in range(50))
    data = ("timestamp,ip,port\n" + rows).encode()
    settings = Settings(limits=LimitSettings(max_table_rows=10))
    extraction = run(mail_with_attachment(data, "2026-11-19-scan_ssh-jp.csv", sender=SHADOW), settings)
    assert len(extraction.observations) == 10
    assert any("max_table_rows" in r.text for r in extraction.reasons)


def test_attachment_over_the_size_bound_is_skipped_with_a_reason() -> None:
    data = b"timestamp,ip,port\n" + b"2026-11-19 07:00:00,192.0.2.1,22\n" * 2000
    settings = Settings(limits=LimitSettings(max_attachment_bytes=10_000))
    extraction = run(mail_with_attachment(data, "2026-11-19-scan_ssh-jp.csv", sender=SHADOW), settings)
    assert extraction.observations == []
    assert any("exceeds 10000" in r.text for r in extraction.reasons)


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_generic_table_with_aliased_columns(delimiter: str) -> None:
    lines = [
        ["Attacker", "IP Address", "First Seen", "Destination Port", "Attack Type"],
        ["l33t", "192.0.2.60", "2026-11-19T08:00:00Z", "3389", "RDP brute force"],
        ["l33t", "192.0.2.61", "2026-11-19 08:05:00", "3389", "RDP brute force"],
    ]
    data = "\n".join(delimiter.join(row) for row in lines).encode()
    extraction = run(mail_with_attachment(data, "attackers.csv"))
    assert extraction.format == "csv"
    got = [(o.ip, o.time, o.port, o.category) for o in extraction.observations]
    assert got == [
        ("192.0.2.60", datetime(2026, 11, 19, 8, tzinfo=UTC), 3389, "brute-force"),
        ("192.0.2.61", datetime(2026, 11, 19, 8, 5, tzinfo=UTC), 3389, "brute-force"),
    ]


def test_generic_table_naive_times_take_the_zone_the_mail_states() -> None:
    data = b"src_ip,time\n192.0.2.70,2026-11-19 18:00:00\n"
    extraction = run(mail_with_attachment(data, "log.csv", body="All times are in JST.\n"))
    assert extraction.observations[0].time == datetime(2026, 11, 19, 9, tzinfo=UTC)


def test_json_array_and_json_lines() -> None:
    events = [
        {"source": {"ip": "192.0.2.80", "port": 4444}, "time": "2026-11-19T09:00:00Z", "type": "malware"},
        {"src_ip": "192.0.2.81", "timestamp": 1763542800, "dst_ip": "198.51.100.9"},
    ]
    extraction = run(mail_with_attachment(json.dumps(events).encode(), "events.json"))
    assert extraction.format == "json"
    assert [(o.ip, o.time) for o in extraction.observations] == [
        ("192.0.2.80", datetime(2026, 11, 19, 9, tzinfo=UTC)),
        ("192.0.2.81", datetime(2025, 11, 19, 9, tzinfo=UTC)),
    ]
    assert extraction.observations[0].category == "malware"
    assert extraction.targets == ["198.51.100.9"]
    lines = "\n".join(json.dumps(e) for e in events).encode()
    assert len(run(mail_with_attachment(lines, "events.jsonl")).observations) == 2


def test_hostile_json_does_not_crash() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    extraction = run(mail_with_attachment(deep, "deep.json"))
    assert extraction.format != "json"


def test_ip_list_and_drop_list_feeds() -> None:
    listing = b"# generated 2026-11-19\n192.0.2.90\n192.0.2.91\n2001:db8::91\n"
    extraction = run(mail_with_attachment(listing, "ssh.txt", sender="noreply@blocklist.de"))
    assert extraction.format == "feed"
    assert [o.ip for o in extraction.observations] == ["192.0.2.90", "192.0.2.91", "2001:db8::91"]
    assert extraction.category == "brute-force"
    drop = b"; Last-Modified: Thu, 19 Nov 2026 04:39:22 GMT\n192.0.2.0/24 ; SBL1\n"
    extraction = run(mail_with_attachment(drop, "drop.txt", sender="drop@spamhaus.org"))
    [obs] = extraction.observations
    assert (obs.ip, obs.time, obs.category) == (
        "192.0.2.0/24",
        datetime(2026, 11, 19, 4, 39, 22, tzinfo=UTC),
        "spam",
    )


def test_a_log_file_attachment_is_not_mistaken_for_a_feed() -> None:
    log = b'192.0.2.5 - - [19/Nov/2026:10:00:00 +0900] "GET / HTTP/1.1" 200 512\n' * 5
    extraction = run(mail_with_attachment(log, "access.log"))
    assert extraction.format not in ("feed", "csv", "shadowserver")
