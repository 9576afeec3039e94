"""find_ips / parse_ip: shapes of real log lines, defanged and full-width forms, non-addresses."""

from __future__ import annotations

import ipaddress
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abusebox.extract import ips
from abusebox.extract.ips import find_ips, parse_ip

FULLWIDTH = {cp: cp + 0xFEE0 for cp in range(0x21, 0x7F)}


def _kept(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return False  # reported as IPv4: covered by its own test
    if addr.is_loopback or addr.is_unspecified or addr.is_multicast or addr.is_link_local:
        return False
    return not (addr.version == 4 and (int(addr) >> 24 == 0 or int(addr) >> 24 >= 240))


addresses = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).filter(_kept)

V4_SHAPES = [
    "Nov 19 03:14:15 web1 sshd[812]: Failed password for root from {ip} port 4242 ssh2",
    "2026-11-19 03:14:15,123 fail2ban.actions [991]: NOTICE [sshd] Ban {ip}",
    "Nov 19 03:14:15 fw kernel: [UFW BLOCK] IN=eth0 OUT= SRC={ip} DST=192.0.2.10 PROTO=TCP DPT=23 SYN",
    '{ip} - - [19/Nov/2026:10:20:30 +0900] "GET /wp-login.php HTTP/1.1" 404 153 "-" "curl/8.1"',
    '"{ip}","2026-11-19 10:20:30","scan"',
    "We saw repeated attacks from {ip}, please investigate.",
    "hxxp://{ip}:8080/login.php",
    "Source Network Address:\t{ip}",
    "IP: {ip}。ご確認ください",
]
V6_SHAPES = [*V4_SHAPES[:6], "http://[{ip}]:8443/x", "attack from [{ip}]:22 observed"]


def _expected(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return addr.compressed


@settings(max_examples=150, deadline=None)
@given(addr=addresses, shape=st.integers(0, 20))
def test_any_address_in_any_log_shape_is_found_once(addr, shape):
    shapes = V4_SHAPES if addr.version == 4 else V6_SHAPES
    template = shapes[shape % len(shapes)]
    line = template.format(ip=addr.exploded if shape % 3 == 0 else str(addr))
    found = [h.ip for h in find_ips(line)]
    # Once, plus once more where the shape itself names the same address (UFW's DST=).
    named = [word.split("=", 1)[1] for word in template.replace("{ip}", "").split() if "=" in word]
    assert found.count(_expected(addr)) == 1 + named.count(str(addr))


@settings(max_examples=100, deadline=None)
@given(addr=st.ip_addresses(v=4).filter(_kept))
def test_defanged_and_fullwidth_forms_are_recovered_with_original_spans(addr):
    ip = str(addr)
    for form in (ip.replace(".", "[.]"), ip.replace(".", "(.)", 1), ip.translate(FULLWIDTH)):
        line = f"攻撃元: {form} から"
        hits = find_ips(line)
        assert [h.ip for h in hits] == [ip]
        assert line[hits[0].start : hits[0].end] == form


@settings(max_examples=100, deadline=None)
@given(addr=st.ip_addresses(v=6).filter(_kept))
def test_defanged_ipv6(addr):
    text = addr.exploded.replace(":", "[:]", 1)
    assert [h.ip for h in find_ips(f"src {text} end")] == [addr.compressed]


octet = st.integers(0, 255)


@settings(max_examples=200, deadline=None)
@given(a=octet, b=octet, c=octet, d=octet, e=octet, kind=st.integers(0, 6))
def test_version_strings_and_oids_never_yield_addresses(a, b, c, d, e, kind):
    text = [
        f"SSH-2.0-OpenSSH_{a}.{b}p1 Ubuntu-{c}ubuntu{d}",
        f"Mozilla/5.0 Chrome/{a}.{b}.{c}.{d} Safari/537.36",
        f"Version {a}.{b}.{c}.{d} released",
        f"agent v{a}.{b}.{c}.{d}",
        f"OID 1.3.6.1.4.1.{a}.{b}.{c}.{d}.{e}",
        f"serial {a}.{b}.{c}.{d}.{e}",
        f"build {a}.{b}.{c}.{d}",
    ][kind]
    assert find_ips(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "00:1a:2b:3c:4d:5e",
        "at 10:20:30 the job ran",
        "010.1.1.1",
        "192.000.2.1",
        "300.1.2.3",
        "127.0.0.1 ::1 0.0.0.0 :: 224.0.0.5 ff02::1 169.254.10.1 fe80::1 255.255.255.255",
        "netmask 255.255.255.0",
        "1.3.6.1.4.1.9.9",
    ],
)
def test_not_addresses_or_dropped(text):
    assert find_ips(text) == []


def test_ports_networks_ranges_and_mapped_addresses():
    hits = find_ips("a 192.0.2.1:22 b [2001:db8::1]:443 c 198.51.100.0/24 d ::ffff:192.0.2.5 e 2001:db8::/32")
    assert [(h.ip, h.port, h.is_network) for h in hits] == [
        ("192.0.2.1", 22, False),
        ("2001:db8::1", 443, False),
        ("198.51.100.0/24", None, True),
        ("192.0.2.5", None, False),
        ("2001:db8::/32", None, True),
    ]
    single = find_ips("192.0.2.0-192.0.2.255")
    assert [h.ip for h in single] == ["192.0.2.0/24"]
    several = find_ips("192.0.2.4-192.0.2.11")
    assert [h.ip for h in several] == ["192.0.2.4/30", "192.0.2.8/30"]
    wide = find_ips("192.0.2.1-192.0.2.20")  # six blocks: the covering network, not 20 addresses
    assert [h.ip for h in wide] == ["192.0.2.0/27"]
    assert [h.ip for h in find_ips("192.0.2.1-20")] == ["192.0.2.0/27"]


def test_tcpdump_and_private_and_documentation_ranges_are_kept():
    hits = find_ips("IP 10.0.0.5.54321 > 172.16.0.9.22: Flags [S]")
    assert [(h.ip, h.port) for h in hits] == [("10.0.0.5", 54321), ("172.16.0.9", 22)]
    assert [h.ip for h in find_ips("from 192.168.1.20 and 2001:db8::9")] == ["192.168.1.20", "2001:db8::9"]


def test_spans_index_the_original_text_after_defanging():
    text = "x 192[.]0[.]2[.]1 and 198.51.100.7 y"
    hits = find_ips(text)
    assert [text[h.start : h.end] for h in hits] == ["192[.]0[.]2[.]1", "198.51.100.7"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" 192.0.2.1 ", "192.0.2.1"),
        ("192.0.2[.]1", "192.0.2.1"),
        ("１９２．０．２．１", "192.0.2.1"),
        ("192.0.2.1:8080", "192.0.2.1"),
        ("[2001:DB8::1]:443", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("198.51.100.0/24", "198.51.100.0/24"),
        ("192.0.2.1-192.0.2.20", "192.0.2.0/27"),
        ('"203.0.113.9"', "203.0.113.9"),
        ("127.0.0.1", None),
        ("010.1.1.1", None),
        ("host 192.0.2.1", None),
        ("192.0.2.1 192.0.2.2", None),
        ("", None),
        ("not an address", None),
    ],
)
def test_parse_ip(value, expected):
    assert parse_ip(value) == expected


def test_10000_addresses_are_all_found():
    text = "\n".join(f"10.{i // 256 % 256}.{i % 256}.{i // 65536 + 1}" for i in range(10_000))
    assert len({h.ip for h in find_ips(text)}) == 10_000


@pytest.mark.parametrize("unit", ["1.", "12.", "1:", "a:", "ab:c", "1.2:", "12345."])
def test_one_megabyte_of_address_characters_is_linear(unit):
    text = unit * (1_000_000 // len(unit))
    started = time.perf_counter()
    find_ips(text)
    assert time.perf_counter() - started < 5.0  # generous wall bound; real figures in benchmarks/


@given(st.text(alphabet="0123456789abcdefABCDEF:.[]/ fgx%", max_size=60))
def test_the_ipv6_precheck_never_hides_an_address(text: str) -> None:
    # find_ips tries the IPv6 pattern only where may_hold_ipv6 says an address may be.
    if ips._ipv6_hits(ips._Normalised(text)):
        assert ips.may_hold_ipv6(text)


@given(st.ip_addresses(v=6))
def test_every_written_form_of_an_ipv6_address_passes_the_precheck(addr: ipaddress.IPv6Address) -> None:
    mapped = ipaddress.IPv6Address(int(addr) & ~0xFFFFFFFF | 0xC0000201)
    written = [addr.compressed, addr.exploded, f"{mapped.exploded.rsplit(':', 2)[0]}:192.0.2.1"]
    for form in written:
        assert ips.may_hold_ipv6(f"from {form} port 22")


_octets = st.one_of(
    st.integers(0, 255).map(str),  # canonical
    st.text(alphabet="0123456789", min_size=1, max_size=3),  # leading zeros, 256-999
)


@given(st.lists(_octets, min_size=4, max_size=4).map(".".join))
def test_a_dotted_quad_is_read_as_ipaddress_reads_it(quad: str) -> None:
    # The fast reader of the IPv4 pattern's runs takes what ipaddress takes, and a quad
    # it takes is its own canonical text; dropping agrees with the address object's.
    try:
        expected: ipaddress.IPv4Address | None = ipaddress.IPv4Address(quad)
    except ValueError:
        expected = None
    packed = ips._quad(quad)
    if expected is None:
        assert packed is None
        return
    assert packed == expected.packed
    assert str(expected) == quad
    assert ips._dropped_quad(packed) == ips._dropped(expected) == (not _kept(expected))


@pytest.mark.parametrize(
    ("quad", "dropped"),
    [
        ("0.1.2.3", True), ("127.0.0.1", True), ("169.254.1.1", True), ("169.253.1.1", False),
        ("223.255.255.255", False), ("224.0.0.1", True), ("239.1.1.1", True), ("240.0.0.1", True),
        ("255.255.255.255", True), ("1.0.0.0", False), ("126.255.255.255", False), ("128.0.0.0", False),
    ],
)  # fmt: skip
def test_the_edges_of_the_dropped_ipv4_blocks(quad: str, dropped: bool) -> None:
    packed = ips._quad(quad)
    assert packed is not None and ips._dropped_quad(packed) is dropped


@given(st.text(st.sampled_from(list("[](){}.:dotDOT 1")), max_size=20))
def test_no_defanged_dot_without_an_opening_bracket(text: str) -> None:
    # _Normalised skips the defang search on text without "[", "(" or "{".
    from abusebox.extract import ips

    if ips._DEFANG.search(text):
        assert "[" in text or "(" in text or "{" in text
    assert [h.ip for h in find_ips("Server IP:    198.51.100[.]23 and 192(.)0.2.9")] == [
        "198.51.100.23",
        "192.0.2.9",
    ]


_VERSION_PIECES = st.sampled_from(
    ["OpenSSH ", "openssh", "Version ", "VER. ", "v", "V", "build=", "Firmware: ", "Windows ", "kernel ",
     "KERNEL", "Xversion ", "myversion ", "release/", "バージョン", " ", "x", "ſ", "\u212a", "10.0.22631.2",
     "7.4.2.1", "192.0.2.7", "from "]
)  # fmt: skip


@given(st.lists(_VERSION_PIECES, max_size=8).map("".join))
def test_version_words_in_lowered_ascii_text_as_in_the_case_blind_pattern(text: str) -> None:
    # _ipv4_hits searches ASCII text lowered, case-sensitively, in the 16 characters
    # before each address: the same windows must match as with the case-blind pattern.
    if text.isascii():
        lowered = text.lower()
        for end in range(len(text) + 1):
            start = max(0, end - 16)
            case_blind = ips._VERSION_WORD.search(text, start, end) is not None
            assert (ips._LOWER_VERSION_WORD.search(lowered, start, end) is not None) == case_blind


def test_an_address_after_a_version_word_in_any_case_is_not_taken():
    for text in ["OPENSSH 7.4.2.1", "Windows 10.0.22631.2", "firmware: 3.1.0.22", "Kernel/4.19.0.21"]:
        assert find_ips(text) == [], text
    assert [h.ip for h in find_ips("MYVERSION 198.51.100.7")] == ["198.51.100.7"]
