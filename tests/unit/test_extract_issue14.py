"""Roles, networks, zones, epochs, archives and formats from issue 14, on mails written here.

Hypothesis properties: a version string or OID beside attack words is never an address;
a time-zone column shifts every row by exactly its offset; a prefix or a span written
in prose beside an offending address never becomes an observation.
"""

from __future__ import annotations

import base64
import gzip
import ipaddress
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from abusebox.core.config import Settings
from abusebox.core.models import Extraction, format_utc
from abusebox.pipeline.analyze import analyze

HEAD = "From: r@reporter.example.org\nTo: abuse@example.jp\nSubject: {subject}\nDate: {date}\n"


def _text(body: str, subject: str = "abuse report", date: str = "Thu, 12 Nov 2026 12:00:00 +0000") -> bytes:
    encoded = base64.encodebytes(body.encode()).decode()
    return (
        HEAD.format(subject=subject, date=date) + "MIME-Version: 1.0\n"
        'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n' + encoded
    ).encode()


def _with_attachment(body: str, ctype: str, name: str, payload: bytes, subject: str = "report") -> bytes:
    return (
        HEAD.format(subject=subject, date="Thu, 12 Nov 2026 12:00:00 +0900")
        + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="x"\n\n--x\n'
        + f'Content-Type: text/plain\n\n{body}\n--x\nContent-Type: {ctype}; name="{name}"\n'
        + f'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="{name}"\n\n'
        + base64.encodebytes(payload).decode()
        + "--x--\n"
    ).encode()


def _extraction(raw: bytes) -> Extraction:
    return analyze(raw, Settings()).extraction


def _sources(extraction: Extraction) -> dict[str, str | None]:
    return {o.ip: format_utc(o.time) for o in extraction.observations if o.role == "source"}


def test_a_gzipped_log_attachment_is_read_like_text() -> None:
    log = b"Nov 12 08:00:01 gw sshd[1]: Failed password for root from 198.51.100.44 port 4000 ssh2\n"
    for ctype in ("application/gzip", "application/x-gzip"):
        raw = _with_attachment("SSH attack, log attached (JST).", ctype, "auth.log.gz", gzip.compress(log))
        assert _sources(_extraction(raw)) == {"198.51.100.44": "2026-11-11T23:00:01Z"}


def test_prose_networks_are_context_beside_an_address_and_a_lone_range_stays() -> None:
    extraction = _extraction(
        _text(
            "Your block 192.0.2.0/25 (hosts 192.0.2.10-12) keeps attacking.\n"
            "2026-11-12 10:00:00 UTC blocked 192.0.2.11 -> 198.51.100.2:22\n"
        )
    )
    assert _sources(extraction) == {"192.0.2.11": "2026-11-12T10:00:00Z"}
    assert "192.0.2.0/25" in extraction.context
    lone = _extraction(_text("Hosts in 203.0.113.64/27 have been scanning us since 2026-11-12 09:00 UTC.\n"))
    assert list(_sources(lone)) == ["203.0.113.64/27"]


def test_the_reporting_agent_and_a_sip_pbx_are_not_sources() -> None:
    body = (
        "Received From: (mail02) 192.0.2.20->/var/log/secure\n"
        "Trap from agent 192.0.2.21 (our switch)\n"
        "[2026-11-12 03:00:00] Registration from '<sip:300@192.0.2.22>' failed for '203.0.113.90:5060'\n"
    )
    extraction = _extraction(_text(body, subject="SIP brute force"))
    assert set(_sources(extraction)) == {"203.0.113.90"}
    assert {"192.0.2.20", "192.0.2.21", "192.0.2.22"} <= set(extraction.targets)


def test_korean_and_chinese_labels_dates_and_zones() -> None:
    korean = _text(
        "공격 IP : 198.51.100.71\n피해 IP : 192.0.2.71\n탐지 시각 : 2026년 11월 12일 14시 05분 (KST)\n"
    )
    extraction = _extraction(korean)
    assert _sources(extraction) == {"198.51.100.71": "2026-11-12T05:05:00Z"}
    assert extraction.targets == ["192.0.2.71"]
    chinese = _text(
        "攻击源IP：203.0.113.72\n发现时间：北京时间 2026年11月12日 16时30分\n该地址对我方进行暴力破解。\n"
    )
    extraction = _extraction(chinese)
    assert _sources(extraction) == {"203.0.113.72": "2026-11-12T08:30:00Z"}
    assert extraction.category == "brute-force"


def test_a_cue_ending_a_wrapped_line_applies_to_the_addresses_opening_the_next() -> None:
    body = "We saw 203.0.113.73 send exploit attempts to our web servers\n192.0.2.73 and 192.0.2.74 today.\n"
    extraction = _extraction(_text(body))
    assert set(_sources(extraction)) == {"203.0.113.73"}
    assert {"192.0.2.73", "192.0.2.74"} <= set(extraction.targets)


def test_epoch_seconds_in_json_attachments() -> None:
    when = int(datetime(2026, 11, 12, 1, 2, 3, tzinfo=UTC).timestamp())
    doc = json.dumps(
        {"items": [{"peer_ip": "198.51.100.75", "first_seen_ts": when, "event": "login.failed"}]}
    )
    raw = _with_attachment("Honeypot events attached.", "application/json", "e.json", doc.encode())
    extraction = _extraction(raw)
    assert _sources(extraction) == {"198.51.100.75": "2026-11-12T01:02:03Z"}
    assert extraction.category == "brute-force"


def test_iodef_v1_events_keep_their_own_detect_times_and_the_attacked_port() -> None:
    xml = (
        '<?xml version="1.0"?><iodef:IODEF-Document version="1.00" '
        'xmlns:iodef="urn:ietf:params:xml:ns:iodef-1.0">'
        '<iodef:Incident purpose="reporting"><iodef:Assessment><iodef:Impact type="dos"/></iodef:Assessment>'
        + "".join(
            f"<iodef:EventData><iodef:DetectTime>2026-11-12T0{i}:00:00Z</iodef:DetectTime><iodef:Flow>"
            f'<iodef:System category="source"><iodef:Node><iodef:Address>203.0.113.{80 + i}</iodef:Address>'
            '</iodef:Node></iodef:System><iodef:System category="target"><iodef:Node>'
            "<iodef:Address>192.0.2.9</iodef:Address></iodef:Node><iodef:Service><iodef:Port>53</iodef:Port>"
            "</iodef:Service></iodef:System></iodef:Flow></iodef:EventData>"
            for i in (1, 2)
        )
        + "</iodef:Incident></iodef:IODEF-Document>"
    )
    extraction = _extraction(_with_attachment("IODEF attached.", "text/xml", "r.xml", xml.encode()))
    assert extraction.format == "iodef" and extraction.category == "dos"
    assert _sources(extraction) == {
        "203.0.113.81": "2026-11-12T01:00:00Z",
        "203.0.113.82": "2026-11-12T02:00:00Z",
    }
    assert {o.port for o in extraction.observations} == {53} and extraction.targets == ["192.0.2.9"]


def test_an_iodef_with_an_entity_bomb_is_refused_not_expanded() -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        '<IODEF-Document><Incident><EventData><Flow><System category="source"><Node>'
        "<Address>&b;</Address></Node></System></Flow></EventData></Incident></IODEF-Document>"
    )
    extraction = _extraction(_with_attachment("see attached", "text/xml", "b.xml", xml.encode()))
    assert extraction.format != "iodef"


def test_categories_from_vocabulary_nobody_tuned_for() -> None:
    assert (
        _extraction(_text("203.0.113.91 から大量のアクセスがあり、サイトが表示されない状態です。\n")).category
        == "dos"
    )
    ids = "Our intrusion detection system saw a port scan from 198.51.100.92 (no intrusion).\n"
    assert _extraction(_text(ids)).category == "scan"
    assert _extraction(
        _text("Massive Anmeldeversuche von 192.0.2.93 auf unserem Mailserver.\n")
    ).category == ("brute-force")


# --- properties -----------------------------------------------------------------------

_ATTACK = ["brute force from", "attacked by", "exploit attempt against", "scanned", "SSH login failures on"]
_VERSION_WORDS = [
    "OpenSSH",
    "OpenSSH_",
    "firmware",
    "build",
    "version",
    "v",
    "Exchange build",
    "Windows",
    "kernel",
]
_octet = st.integers(min_value=0, max_value=40)


@settings(max_examples=60, deadline=None)
@given(
    word=st.sampled_from(_VERSION_WORDS),
    parts=st.lists(_octet, min_size=4, max_size=4),
    attack=st.sampled_from(_ATTACK),
    oid_tail=st.lists(st.integers(min_value=0, max_value=99), min_size=3, max_size=8),
)
def test_a_version_string_or_oid_near_attack_words_is_never_an_address(
    word: str, parts: list[int], attack: str, oid_tail: list[int]
) -> None:
    version = ".".join(map(str, parts))
    oid = "1.3.6.1." + ".".join(map(str, oid_tail))
    sep = "" if word.endswith("_") else " "
    body = (
        f"Our server ({word}{sep}{version}) was {attack} 203.0.113.9 at 2026-11-12 10:00:00 UTC.\n"
        f"{attack} {word}{sep}{version} detected, trap OID {oid} = brute force\n"
    )
    found = {o.ip for o in _extraction(_text(body)).observations}
    assert version not in found
    assert not any(ip.startswith("1.3.6.1") for ip in found)


_ZONES = {"UTC": 0, "CET": 60, "CEST": 120, "+02:00": 120, "-05:00": -300, "+09:00": 540, "+05:30": 330}


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(sorted(_ZONES)), st.integers(min_value=0, max_value=86_399 * 20)),
        min_size=1,
        max_size=6,
    ),
    column=st.sampled_from(["tz", "timezone", "utc_offset"]),
)
def test_a_time_zone_column_shifts_every_row_by_exactly_its_offset(
    rows: list[tuple[str, int]], column: str
) -> None:
    base = datetime(2026, 10, 1)
    lines, expected = [f"time,{column},src_ip,dst_ip"], {}
    for n, (zone, seconds) in enumerate(rows):
        local = base + timedelta(seconds=seconds)
        ip = f"198.51.100.{n + 1}"
        lines.append(f"{local:%Y-%m-%d %H:%M:%S},{zone},{ip},192.0.2.{n + 1}")
        expected[ip] = format_utc((local - timedelta(minutes=_ZONES[zone])).replace(tzinfo=UTC))
    body = "Connection attempts from your network:\n\n" + "\n".join(lines) + "\n"
    assert _sources(_extraction(_text(body, date="Thu, 12 Nov 2026 12:00:00 +0000"))) == expected


@settings(max_examples=60, deadline=None)
@given(
    prefix=st.integers(min_value=8, max_value=31),
    span_start=st.integers(min_value=100, max_value=200),
    span_len=st.integers(min_value=1, max_value=20),
    v6_prefix=st.integers(min_value=16, max_value=64),
    phrase=st.sampled_from(["your network", "the range", "addresses", "listed", "from"]),
)
def test_a_prefix_or_span_never_becomes_an_observation(
    prefix: int, span_start: int, span_len: int, v6_prefix: int, phrase: str
) -> None:
    net = ipaddress.ip_network(f"203.0.113.0/{prefix}", strict=False)
    body = (
        f"Attacks from {phrase} {net} and 2001:db8:4400::/{v6_prefix}, "
        f"{phrase} 198.51.100.{span_start}-{span_start + span_len}.\n"
        "2026-11-12 10:00:00 UTC sshd: Failed password for root from 192.0.2.55 port 4242\n"
    )
    observations = _extraction(_text(body)).observations
    assert all("/" not in o.ip for o in observations)
    spanned = {f"198.51.100.{n}" for n in range(span_start, span_start + span_len + 1)}
    assert not spanned & {o.ip for o in observations}
    assert "192.0.2.55" in {o.ip for o in observations if o.role == "source"}


def test_an_ids_alerts_own_category_field_decides() -> None:
    events = [
        {"src_ip": "203.0.113.95", "dest_ip": "192.0.2.95", "timestamp": "2026-11-12T04:05:06Z",
         "alert": {"signature": "ET SCAN Suspicious inbound to mySQL port 3306",
                   "category": "Attempted Information Leak"}},
        {"src_ip": "203.0.113.96", "dest_ip": "192.0.2.95", "timestamp": "2026-11-12T04:06:06Z",
         "alert": {"signature": "GPL WEB_SERVER perl post attempt", "category": "Web Application Attack"}},
    ]  # fmt: skip
    doc = "\n".join(json.dumps(e) for e in events).encode()
    raw = _with_attachment(
        "Our intrusion detection system alerts, EVE JSON.", "application/json", "eve.json", doc
    )
    by_ip = {o.ip: o.category for o in _extraction(raw).observations if o.role == "source"}
    assert by_ip == {"203.0.113.95": "scan", "203.0.113.96": "intrusion-attempt"}


def test_a_defanged_server_label_is_the_offender_alone_and_the_victim_beside_a_source() -> None:
    takedown = (
        "Phishing page: hxxp://bank-login[.]example/\nServer IP:   192.0.2[.]160\nSeen 2026-11-12 05:00 UTC\n"
    )
    assert _sources(_extraction(_text(takedown, subject="Phishing takedown"))) == {
        "192.0.2.160": "2026-11-12T05:00:00Z"
    }
    beside = "Source IP: 203.0.113.161\nServer IP: 192.0.2.161\n2026-11-12 05:00 UTC brute force\n"
    extraction = _extraction(_text(beside))
    assert set(_sources(extraction)) == {"203.0.113.161"} and "192.0.2.161" in extraction.targets
