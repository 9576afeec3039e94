"""Constituency: longest-prefix match over many networks, IPv4 and IPv6."""

from __future__ import annotations

import ipaddress
import random
import time

from hypothesis import given
from hypothesis import strategies as st

from abusebox.core.config import ConstituencyNetwork
from abusebox.incidents.constituency import Constituency

NETS = [
    ConstituencyNetwork("203.0.113.0/24", "campus", contacts=["noc@example.jp"], tags=["univ"]),
    ConstituencyNetwork("203.0.113.128/25", "dorm", language="en"),
    ConstituencyNetwork("203.0.113.200/32", "one-host"),
    ConstituencyNetwork("2001:db8::/32", "v6-all"),
    ConstituencyNetwork("2001:db8:1::/48", "v6-lab"),
]


def test_longest_prefix_wins() -> None:
    c = Constituency(NETS)
    assert c.match("203.0.113.5").owner == "campus"  # type: ignore[union-attr]
    assert c.match("203.0.113.129").owner == "dorm"  # type: ignore[union-attr]
    assert c.match("203.0.113.200").owner == "one-host"  # type: ignore[union-attr]
    assert c.match("2001:db8:1::9").owner == "v6-lab"  # type: ignore[union-attr]
    assert c.match("2001:db8:2::9").owner == "v6-all"  # type: ignore[union-attr]
    assert c.match("::ffff:203.0.113.5").owner == "campus"  # type: ignore[union-attr]
    assert c.match("198.51.100.1") is None
    assert c.match("not an ip") is None
    owner = c.match("203.0.113.5")
    assert owner is not None and owner.contacts == ("noc@example.jp",) and owner.tags == ("univ",)


def _networks(n: int, seed: int) -> list[ConstituencyNetwork]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        plen = rng.choice((16, 20, 22, 24, 26, 28, 32))
        net = ipaddress.ip_network(
            f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.0/{plen}", strict=False
        )
        out.append(ConstituencyNetwork(net.compressed, f"owner{i}"))
    return out


NETWORKS = _networks(3000, 1)
INDEX = Constituency(NETWORKS)
PARSED = [(ipaddress.ip_network(n.network), n.owner) for n in NETWORKS]


INSIDE = st.builds(
    lambda i, off: int(PARSED[i][0].network_address) + off % PARSED[i][0].num_addresses,
    st.integers(0, len(PARSED) - 1),
    st.integers(0, 2**16),
)


@given(st.one_of(st.integers(min_value=0, max_value=2**32 - 1), INSIDE))
def test_matches_brute_force_reference(value: int) -> None:
    addr = ipaddress.IPv4Address(value)
    best = None
    for net, owner in PARSED:
        if addr in net and (best is None or net.prefixlen > best[0].prefixlen):
            best = (net, owner)
    got = INDEX.match(str(addr))
    assert (got.owner if got else None) == (best[1] if best else None) or (
        got is not None and best is not None and ipaddress.ip_network(got.network) == best[0]
    )


def test_thousands_of_entries_stay_fast() -> None:
    rng = random.Random(2)
    addrs = [str(ipaddress.IPv4Address(rng.randrange(2**32))) for _ in range(20_000)]
    start = time.perf_counter()
    for a in addrs:
        INDEX.match(a)
    # ~7 dict probes per lookup: generous bound, catches an accidental linear scan.
    assert time.perf_counter() - start < 2.0


MIXED = Constituency(
    [
        *NETS,
        ConstituencyNetwork("fe80::/10", "link-local"),
        ConstituencyNetwork("::/96", "v4-compatible"),
        ConstituencyNetwork("10.0.0.0/8", "private"),
    ]
)
V4_TEXT = st.integers(0, 2**32 - 1).map(lambda v: str(ipaddress.IPv4Address(v)))
V6_TEXT = st.integers(0, 2**128 - 1).flatmap(
    lambda v: st.sampled_from(
        [
            ipaddress.IPv6Address(v).compressed,
            ipaddress.IPv6Address(v).exploded,
            ipaddress.IPv6Address(v).exploded.upper(),
            f"{ipaddress.IPv6Address(v).compressed}%eth0",
        ]
    )
)
MAPPED_TEXT = st.sampled_from(["::ffff:", "::", "0:0:0:0:0:ffff:", "::FFFF:"]).flatmap(
    lambda head: V4_TEXT.map(lambda v4: head + v4)
)
NEAR_MISS = st.text(alphabet="0123456789abcdefABCDEF.:%x ", max_size=45)


@given(st.one_of(V4_TEXT, V6_TEXT, MAPPED_TEXT, NEAR_MISS, st.text(max_size=20)))
def test_fast_parse_agrees_with_ipaddress(text: str) -> None:
    """match reads addresses with inet_pton; whatever the text, the owner is the one the
    ipaddress reading gives (zone ids, IPv4-mapped and -compatible forms, near misses)."""
    assert MIXED.match(text) == MIXED._match_parsed(text)


def test_no_networks_matches_nothing() -> None:
    empty = Constituency([])
    assert empty.match("203.0.113.5") is None and empty.match("::ffff:203.0.113.5") is None
    only_v6 = Constituency([ConstituencyNetwork("2001:db8::/32", "v6")])
    assert only_v6.match("203.0.113.5") is None
    assert only_v6.match("2001:db8::1").owner == "v6"  # type: ignore[union-attr]
