"""guess_role: sources and targets by cue words, in log keys, English and Japanese prose."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abusebox.extract import roles
from abusebox.extract.ips import find_ips
from abusebox.extract.roles import guess_role


def _roles(line: str) -> list[tuple[str, str]]:
    hits = find_ips(line)
    out = []
    for n, hit in enumerate(hits):
        prev_end = hits[n - 1].end if n else 0
        next_start = hits[n + 1].start if n + 1 < len(hits) else len(line)
        out.append((hit.ip, guess_role(line, hit.start, hit.end, prev_end, next_start).role))
    return out


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "IN=eth0 SRC=192.0.2.1 DST=198.51.100.1 PROTO=TCP",
            [("192.0.2.1", "source"), ("198.51.100.1", "target")],
        ),
        (
            "Source IP Address: 192.0.2.1, Destination IP: 198.51.100.1",
            [("192.0.2.1", "source"), ("198.51.100.1", "target")],
        ),
        ("Attacker IP: 192.0.2.1", [("192.0.2.1", "source")]),
        ("pam_unix(sshd:auth): authentication failure; rhost=192.0.2.1", [("192.0.2.1", "source")]),
        (
            "送信元IPアドレス：192.0.2.1 宛先：198.51.100.1",
            [("192.0.2.1", "source"), ("198.51.100.1", "target")],
        ),
        (
            "attack from 192.0.2.1 to our host 198.51.100.1",
            [("192.0.2.1", "source"), ("198.51.100.1", "target")],
        ),
        (
            "Our server 198.51.100.1 was attacked by 192.0.2.1",
            [("198.51.100.1", "target"), ("192.0.2.1", "source")],
        ),
        ("We saw 192.0.2.1 scanning our network", [("192.0.2.1", "source")]),
        ("192.0.2.1 tried to connect to 198.51.100.1", [("192.0.2.1", "source"), ("198.51.100.1", "target")]),
        (
            "IP 192.0.2.1.40000 > 198.51.100.1.22: Flags [S]",
            [("192.0.2.1", "source"), ("198.51.100.1", "target")],
        ),
        (
            "Nov 19 03:14:15 198.51.100.1 sshd[1]: Failed password from 192.0.2.1",
            [("198.51.100.1", "target"), ("192.0.2.1", "source")],
        ),
        (
            "貴組織の 192.0.2.1 から弊社サーバ(198.51.100.1)に対して攻撃",
            [("192.0.2.1", "source"), ("198.51.100.1", "target")],
        ),
        ("弊社の監視サーバ 198.51.100.1 から確認しました", [("198.51.100.1", "target")]),
        ("192.0.2.1 より 198.51.100.1 へのアクセス", [("192.0.2.1", "source"), ("198.51.100.1", "target")]),
        ("fail2ban: Ban 192.0.2.1", [("192.0.2.1", "source")]),
    ],
)
def test_roles(line, expected):
    assert _roles(line) == expected


def test_no_cue_is_a_low_confidence_source_with_a_reason():
    hit = find_ips("192.0.2.1")[0]
    guess = guess_role("192.0.2.1", hit.start, hit.end, 0, 9)
    assert (guess.role, guess.cued) == ("source", False)
    assert guess.confidence < 1 and guess.reason


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (  # NetFlow: left of the arrow is the source, right the destination
            "2026-11-19 06:00:01.123 0.512 UDP    203.0.113.5:123   ->    198.51.100.10:80   1200",
            [("203.0.113.5", "source"), ("198.51.100.10", "target")],
        ),
        (
            "19.11.2026 10:20:15 192.0.2.17 => 198.51.100.5:22",
            [("192.0.2.17", "source"), ("198.51.100.5", "target")],
        ),
        (  # JSON keys: the quote between key and colon
            '{"src_ip":"198.51.100.201","src_port":41234,"dst_ip":"192.0.2.10","dst_port":22}',
            [("198.51.100.201", "source"), ("192.0.2.10", "target")],
        ),
        (  # dovecot: rip = remote, lip = local
            "user=<info>, method=PLAIN, rip=192.0.2.99, lip=198.51.100.25, TLS",
            [("192.0.2.99", "source"), ("198.51.100.25", "target")],
        ),
        ("C2 server:  203[.]0[.]113[.]9", [("203.0.113.9", "source")]),
        ("Phishing site IP: 192.0.2.120", [("192.0.2.120", "source")]),
        ("the link goes to hxxp://198.51.100.77/login.php", [("198.51.100.77", "source")]),
        ("our server https://198.51.100.10/ was defaced", [("198.51.100.10", "target")]),
        (
            'client: 192.0.2.230, server: www.example.io, request: "GET / HTTP/1.1", host: "198.51.100.7"',
            [("192.0.2.230", "source"), ("198.51.100.7", "target")],
        ),
    ],
)
def test_flows_json_urls_and_named_servers(line: str, expected: list[tuple[str, str]]) -> None:
    assert _roles(line) == expected


def test_japanese_keys_padded_with_full_width_spaces():
    assert _roles("　通信先　　：２０３．０．１１３．２０１（ＴＣＰ／２２）") == [("203.0.113.201", "target")]
    assert _roles("■発信元ＩＰアドレス　：192.0.2.5") == [("192.0.2.5", "source")]


# Text before an address, from the pieces the key patterns are made of.
_PIECES = st.sampled_from(
    ["src", "source", "ip", "C2", "c&c", "server", "infected", "host", "dst", "送信元", "宛先", "感染",
     "端末", "対象", "공격", "来源", "IP", "アドレス", "=", ":", "：", " ", "\u3000", "\xa0", "\t",
     "\"", "'", "[", "(", "<", "（", ")", "）", "-", "_", "a", "1", "\n"]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_no_key_pattern_matches_text_without_the_key_tail(before: str) -> None:
    # _guess tries the key patterns only where the text ends as every one of them ends.
    if roles._KEY_TAIL.search(before) is None:
        for pattern in (roles._KEY_INFECTED, roles._KEY_C2, roles._KEY_SOURCE, roles._KEY_TARGET):
            assert pattern.search(before) is None


# Lines around an address, from cue words, log keys, digits and the one cue that holds a
# digit ("C2 server:"), with an address somewhere in the middle.
_LINE_PIECES = st.sampled_from(
    ["from ", "to ", "our ", "src=", "DST=", "C2 server: ", "c2: ", "c5: ", "C3 ", "port ", "22", "7",
     "Nov 19 03:14:15 ", "2026-11-19T03:14:15Z ", "<13>", "web01 ", "sshd[2004]: ", "から", "へ", "弊社",
     "rhost=", " -> ", " > ", "host: \"", "hxxp://", "sip:200@", "agent ip: ", "received from: (a1) ",
     "was attacked ", "scanned ", "２２", " ", ":", "\t"]
)  # fmt: skip


@given(st.lists(_LINE_PIECES, max_size=10).map("".join), st.lists(_LINE_PIECES, max_size=6).map("".join),
       st.booleans())  # fmt: skip
def test_digits_other_than_c2s_do_not_change_a_guess(left: str, right: str, first: bool) -> None:
    # The cache is keyed on the windows with digits written as 0: the guess must be the one
    # the windows as written give.
    line = f"{left}192.0.2.77{right}"
    start, end = len(left), len(left) + len("192.0.2.77")
    prev_end = 0 if first else min(start, 3)
    before = line[max(prev_end, start - roles._BEFORE_WINDOW) : start]
    after = line[end : min(len(line), end + roles._AFTER_WINDOW)]
    expected = roles._guess.__wrapped__(before, after, line[:start] if prev_end == 0 else None)
    assert guess_role(line, start, end, prev_end, len(line)) == expected


def test_a_c2_key_keeps_its_digit_and_other_keys_read_as_c2_do_not():
    c2 = "key names a C2 server"
    assert guess_role("C2 server: 192.0.2.7", 11, 20, 0, 20).reason == c2
    assert guess_role("C5 server: 192.0.2.7", 11, 20, 0, 20).reason == "log key names the destination"
    # The second line shares the first's shape, digits aside: the cache must not answer it.
    assert guess_role("c0: 192.0.2.7", 4, 13, 0, 13).reason == "no role cue on the line"
    assert guess_role("c2: 192.0.2.7", 4, 13, 0, 13).reason == c2


def test_no_role_pattern_names_a_digit_but_c2():
    # guess_role writes digits as 0 but where a window holds "c2": exact only while no
    # pattern names another digit.
    import re

    patterns = [v for v in vars(roles).values() if isinstance(v, re.Pattern)]
    assert len(patterns) > 10
    for pattern in patterns:
        source = re.sub(r"\\d|\{\d+(?:,\d*)?\}|\\u[0-9a-fA-F]{4}", "", pattern.pattern)
        source = re.sub(r"(?i)c2", "", source)
        assert not re.search(r"[0-9]", source), pattern.pattern
