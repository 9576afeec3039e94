"""service_port reads the line with its ASCII letters lowered: the same ports as matching
the line as written with re.IGNORECASE | re.ASCII."""

from __future__ import annotations

import re
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from abusebox.extract import ports
from abusebox.extract.freeform import _roles
from abusebox.extract.ips import find_ips
from abusebox.extract.ports import service_port

_CASE_BLIND_PORT = re.compile(ports._SERVICE_PORT.pattern, re.IGNORECASE | re.ASCII)
_CASE_BLIND_HINT = re.compile(ports._PORT_HINT.pattern, re.IGNORECASE)
_CASE_BLIND_WORDS = [
    (re.compile(p.pattern, re.IGNORECASE | re.ASCII), port) for p, port in ports._SERVICE_WORDS
]
_CASE_BLIND_OTHERS = re.compile(ports._OTHER_SERVICES.pattern, re.IGNORECASE | re.ASCII)
_CASE_BLIND_EXPOSED = [
    (re.compile(p.pattern, re.IGNORECASE | re.ASCII), port) for p, port in ports._EXPOSED_WORDS
]


def _as_written(line: str, hits, roles, *, bare: bool = True) -> int | None:
    """service_port as it read the line before: case-blind patterns on the line as written."""
    with mock.patch.multiple(
        ports,
        ascii_lower=lambda text: text,
        _SERVICE_PORT=_CASE_BLIND_PORT,
        _PORT_HINT=_CASE_BLIND_HINT,
        _SERVICE_WORDS=tuple(_CASE_BLIND_WORDS),
    ):
        return service_port(line, hits, roles, bare=bare)


_PIECES = st.sampled_from(
    ["port ", "PORT ", "Port", "DPT=", "dpt=", "Dst_Port: ", "Destination Port", "/TCP", "/udp", "TCP/",
     "UDP / ", "22", "3389", "70000", "0", "SSH", "sshd", "ssh2", "Telnet", "RDP", "Remote Desktop",
     "リモートデスクトップ", "宛先ポート", "ポート番号：", "番ポート", "ＴＣＰ／２２", "ＰＯＲＴ ", "from ",
     "to ", "203.0.113.9", "198.51.100.7:8443", " ", ":", "=", "K", "ſ", "İ", "x", "HTTP/1.1", "wp-login",
     "SMTP", "Dovecot", "\n", "Open DNS resolver", "オープンリゾルバ", "NTP", "monlist", "MemCached", "SSDP",
     "snmp", "DNS"]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=12).map("".join), st.booleans())
def test_the_lowered_line_gives_the_port_the_line_as_written_gives(line: str, bare: bool) -> None:
    hits = find_ips(line)
    roles = _roles(line, hits)
    assert service_port(line, hits, roles, bare=bare) == _as_written(line, hits, roles, bare=bare)


def test_upper_case_ports_and_services_are_read():
    line = "Nov 19 03:14:15 web01 SSHD[2004]: Failed password for root from 203.0.113.77 PORT 40004"
    hits = find_ips(line)
    assert service_port(line, hits, _roles(line, hits)) == 22
    line = "SRC=203.0.113.77 DST=198.51.100.7 PROTO=TCP SPT=51234 DPT=3389"
    hits = find_ips(line)
    assert service_port(line, hits, _roles(line, hits)) == 3389


@given(st.lists(_PIECES, max_size=16).map("".join))
def test_the_report_wide_services_read_in_lowered_text_as_case_blind(text: str) -> None:
    words = {port for pattern, port in _CASE_BLIND_WORDS if pattern.search(text)}
    expected = words.pop() if len(words) == 1 and not _CASE_BLIND_OTHERS.search(text) else None
    assert ports.report_service(text) == expected
    exposed = {port for pattern, port in _CASE_BLIND_EXPOSED if pattern.search(text)}
    assert ports.exposed_service(text) == (exposed.pop() if len(exposed) == 1 else None)


def test_report_wide_services_in_any_case():
    assert ports.report_service("Remote Desktop logon failures (Event 4625)") == 3389
    assert ports.report_service("SSHD: Failed password") == 22
    assert ports.report_service("SSHD failures and GET /wp-login.php HTTP/1.1") is None
    assert ports.report_service("sshd, then POST / HTTP/1.0 floods") is None
    assert ports.exposed_service("Your host runs an Open DNS Resolver") == 53
    assert ports.exposed_service("MONLIST answers: NTP amplification") == 123
