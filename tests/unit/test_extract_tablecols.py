"""Table headers in free text decide the role of the addresses and the port in their rows."""

from __future__ import annotations

import pytest

from abusebox.extract.tablecols import is_separator, read_header


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        (
            '"asn","ip","timestamp","malware","src_port","dst_ip","dst_port"',
            '"64500","192.0.2.5","2026-11-19 04:15:22","emotet","49712","198.51.100.80","443"',
            {"192.0.2.5": "source", "198.51.100.80": "target", "port": 443},
        ),
        (
            "| 日時 | 送信元IP | 宛先IP | 宛先ポート |",
            "| 2026/11/18 23:45:10 | 192.0.2.44 | 203.0.113.10 | 23 |",
            {"192.0.2.44": "source", "203.0.113.10": "target", "port": 23},
        ),
        (
            "｜検知日時｜送信元ＩＰアドレス｜宛先ＩＰアドレス｜宛先ポート｜",
            "｜2026/11/19 14:05:33｜１９８．５１．１００．１７０｜２０３．０．１１３．４０｜２３｜",
            {"１９８．５１．１００．１７０": "source", "２０３．０．１１３．４０": "target", "port": 23},
        ),
        (
            "Source IP\tTimestamp (UTC)\tDestination port\tAttempts",
            "192.0.2.81\t2026-11-19 01:02:03\t22\t311",
            {"192.0.2.81": "source", "port": 22},
        ),
        (
            "address        first seen (UTC)      port",
            "192.0.2.7      2026-11-19T00:00:49Z  3389",
            {"192.0.2.7": "source", "port": 3389},
        ),
        (
            "#Fields: date time s-ip cs-method cs-uri-stem s-port c-ip sc-status",
            "2026-11-19 10:41:07 198.51.100.12 GET /a.aspx 443 203.0.113.33 500",
            {"198.51.100.12": "target", "203.0.113.33": "source", "port": 443},
        ),
    ],
)
def test_header_gives_roles_and_port(header: str, row: str, expected: dict[str, object]) -> None:
    parsed = read_header(header)
    assert parsed is not None
    assert parsed.fits(row)
    for key, value in expected.items():
        if key == "port":
            assert parsed.port(row) == value
        else:
            assert parsed.column(row, row.index(key)) == value


@pytest.mark.parametrize(
    "line",
    [
        "Nov 19 10:31:02 fw01 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=x DST=y",  # no columns
        "ip,timestamp,count",  # names only a source: cue words already decide that
        "Hello, world, how are you",  # prose with commas
        "a" * 10 + "," * 200,  # more columns than any table has
    ],
)
def test_lines_that_are_not_headers(line: str) -> None:
    assert read_header(line) is None


def test_a_row_of_another_shape_does_not_fit() -> None:
    header = read_header("src_ip,dst_ip,dst_port")
    assert header is not None
    assert not header.fits("our server 198.51.100.10 was attacked")
    assert header.fits("192.0.2.1,198.51.100.1,22")


def test_separators_and_directives() -> None:
    assert is_separator("+---------+---------+")
    assert is_separator("|---|---|")
    assert is_separator("#Software: Microsoft Internet Information Services 10.0")
    assert not is_separator("192.0.2.1 attacked us")
