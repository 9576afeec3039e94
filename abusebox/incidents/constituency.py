"""Our own networks: is a source address a host we are responsible for?

Longest-prefix match over the configured ``[[constituency]]`` entries. The entries are
indexed once per prefix length (masked network integer -> entry), so a lookup costs
one dict probe per distinct prefix length in use (at most 33 for IPv4, 129 for IPv6),
whatever the number of entries.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from abusebox.core.config import ConstituencyNetwork


@dataclass(frozen=True)
class Owner:
    """The constituency entry a source falls in."""

    network: str
    owner: str
    contacts: tuple[str, ...]
    tags: tuple[str, ...]
    language: str


class Constituency:
    """Longest-prefix match of addresses against our networks."""

    def __init__(self, networks: Iterable[ConstituencyNetwork]) -> None:
        # version -> [(prefixlen, {masked int: Owner})], longest prefix first
        tables: dict[int, dict[int, dict[int, Owner]]] = {4: {}, 6: {}}
        for entry in networks:
            net = ipaddress.ip_network(entry.network, strict=False)
            owner = Owner(
                net.compressed, entry.owner, tuple(entry.contacts), tuple(entry.tags), entry.language
            )
            by_len = tables[net.version].setdefault(net.prefixlen, {})
            # A duplicate network keeps the first entry, as the config file reads top-down.
            by_len.setdefault(int(net.network_address), owner)
        self._tables = {
            version: sorted(((plen, table) for plen, table in by_len.items()), reverse=True)
            for version, by_len in tables.items()
        }

    def __len__(self) -> int:
        return sum(len(t) for tables in self._tables.values() for _plen, t in tables)

    def match(self, ip: str) -> Owner | None:
        """The most specific of our networks containing ``ip``, or None (external).

        Addresses are read by the C ``inet_pton`` (a large feed asks for every one of its
        addresses); what it refuses (a zone id, say) is read by ``ipaddress`` as before.
        """
        v4, v6 = self._tables[4], self._tables[6]
        if not v4 and not v6:
            return None
        try:
            if ":" in ip:
                packed = socket.inet_pton(socket.AF_INET6, ip)
                if packed[:12] != _V4_MAPPED:
                    return _longest(v6, 128, int.from_bytes(packed))
                packed = packed[12:]
            else:
                packed = socket.inet_pton(socket.AF_INET, ip)
        except (OSError, ValueError):
            return self._match_parsed(ip)
        return _longest(v4, 32, int.from_bytes(packed))

    def _match_parsed(self, ip: str) -> Owner | None:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return None
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        return _longest(self._tables[addr.version], addr.max_prefixlen, int(addr))

    def is_ours(self, ip: str) -> bool:
        return self.match(ip) is not None


_V4_MAPPED = b"\0" * 10 + b"\xff\xff"


def _longest(tables: list[tuple[int, dict[int, Owner]]], bits: int, value: int) -> Owner | None:
    for plen, table in tables:
        shift = bits - plen
        owner = table.get((value >> shift) << shift)
        if owner is not None:
            return owner
    return None
