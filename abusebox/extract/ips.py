"""Find IPv4/IPv6 addresses and networks in text, canonicalised, with spans in the original.

Loose candidate regexes find address-shaped runs; ``ipaddress`` decides (DESIGN.md:
~2.5x faster than a strict regex, same results). Every pattern is linear: runs of
digits/dots or hex/colons are consumed whole by one match, lookbehinds refuse to start
inside a run, and every repetition is bounded, so no input can make them backtrack.

Text is first normalised so that full-width forms (``１９２．０．２．１``) and defanged forms
(``192.0.2[.]1``, ``2001:db8[:]:1``) match too; spans are mapped back to the original.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
import socket
from dataclasses import dataclass
from functools import lru_cache

from abusebox.core.models import canonical_ip
from abusebox.parsing.text import fold_width, lowered_pattern

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A range wider than this many CIDR blocks is reported as its one covering network.
MAX_RANGE_BLOCKS = 4


@dataclass(frozen=True)
class IpHit:
    """One address (or network) found in a text; ``start``/``end`` index the original text."""

    ip: str
    start: int
    end: int
    port: int | None = None
    is_network: bool = False


# --- normalisation -------------------------------------------------------------------

# Every branch starts with "[", "(" or "{": text without one is not searched.
_DEFANG = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\[:\]|\[::\]", re.IGNORECASE)
_DEFANG_MAP = {"[:]": ":", "[::]": "::"}


class _Normalised:
    """Normalised text plus the map from its positions back to the original text."""

    def __init__(self, text: str) -> None:
        # Full-width forms map one character to one character: indices do not move.
        text = fold_width(text)
        # Defanging shortens the text; keep (norm_start, orig_start, norm_len, orig_len) segments.
        self._norm_starts: list[int] = []
        self._segments: list[tuple[int, int, int, int]] = []
        if not ("[" in text or "(" in text or "{" in text) or not _DEFANG.search(text):
            self.text = text
            return
        pieces: list[str] = []
        npos = opos = 0
        for m in _DEFANG.finditer(text):
            if m.start() > opos:
                self._add(npos, opos, m.start() - opos, m.start() - opos)
                pieces.append(text[opos : m.start()])
                npos += m.start() - opos
            repl = _DEFANG_MAP.get(m.group(), ".")
            self._add(npos, m.start(), len(repl), m.end() - m.start())
            pieces.append(repl)
            npos += len(repl)
            opos = m.end()
        self._add(npos, opos, len(text) - opos, len(text) - opos)
        pieces.append(text[opos:])
        self.text = "".join(pieces)

    def _add(self, nstart: int, ostart: int, nlen: int, olen: int) -> None:
        self._norm_starts.append(nstart)
        self._segments.append((nstart, ostart, nlen, olen))

    def span(self, start: int, end: int) -> tuple[int, int]:
        if not self._segments:
            return start, end
        return self._map(start, is_end=False), self._map(end - 1, is_end=True)

    def _map(self, pos: int, *, is_end: bool) -> int:
        i = max(0, bisect.bisect_right(self._norm_starts, pos) - 1)
        nstart, ostart, nlen, olen = self._segments[i]
        if nlen == olen:  # identity segment
            return ostart + (pos - nstart) + (1 if is_end else 0)
        return ostart + olen if is_end else ostart


# --- candidate patterns ----------------------------------------------------------------

_V4 = r"\d{1,3}(?:\.\d{1,3}){3}"
# Not after a word char or a dot (version strings, OIDs); not after a single "/" (Chrome/1.2.3.4)
# but fine after "//" (URLs); not followed by a word char or ".digit" (OIDs, dotted serials).
_IPV4 = re.compile(
    rf"(?<![\w.])(?<![^/]/)(?P<a>{_V4})"
    rf"(?:(?P<range>\s{{0,3}}[-~\u301c]\s{{0,3}}(?P<b>{_V4})|-(?P<last>\d{{1,3}}))(?!\w|\.\d)"
    r"|/(?P<prefix>\d{1,2})(?![\w./])"
    r"|[:#](?P<port>\d{1,5})(?!\w|\.\d|:\d)"
    r"|\.(?P<tport>\d{1,5})(?= > |: (?:Flags|UDP|tcp)\b)"  # tcpdump: 192.0.2.1.54321 > 198.51.100.10.22:
    # Not the start of a host name: 90.113.0.203.dyn.example.net is a reverse-DNS name.
    r"|(?!\w|\.\d|\.[A-Za-z][\w-]{0,62}\.[A-Za-z]))",
    re.ASCII,
)
_IPV6 = re.compile(
    r"(?:(?<![\w:.])|(?<=[G-Zg-z]:)|(?<=[G-Zg-z][0-9A-Fa-f]:)|(?<=[G-Zg-z][0-9A-Fa-f]{2}:))"
    r"(?=[0-9A-Fa-f]{0,4}:)"
    r"(?P<a>[0-9A-Fa-f:]{2,45}(?:\.\d{1,3}){0,3})"
    r"(?:/(?P<prefix>\d{1,3})(?![\w./])|(?<=[0-9A-Fa-f.])\](?::(?P<port>\d{1,5}))?)?"
    r"(?!\w|:\w|\.\d)",
    re.ASCII,
)
_VERSION_WORD = re.compile(
    r"(?<![A-Za-z])(?:version|ver\.?|release|build|firmware|rev\.?|バージョン|v"
    # Software names that stand right before their version ("OpenSSH 7.4.2.1", "Windows 10.0.22631.2").
    r"|openssh|openssl|libssh2?|dropbear|nginx|apache|httpd|iis|windows|exchange|kernel|linux|junos|fortios"
    r"|pan-os|routeros|ios(?:-xe)?|php|wordpress|python|java|chrome|firefox|safari|edge|outlook)"
    r"\s*[:=/]?\s*$",
    re.IGNORECASE,
)
# The same words in ASCII text lowered, matched case-sensitively (faster; for ASCII text the
# same matches as the case-blind pattern, which also folds "ſ" and the Kelvin sign).
_LOWER_VERSION_WORD = re.compile(lowered_pattern(_VERSION_WORD.pattern))


@lru_cache(maxsize=16384)
def _dropped(value: IPAddress | IPNetwork) -> bool:
    """Addresses that are never an offender: loopback, unspecified, multicast, link-local.

    Also dropped: 0.0.0.0/8 ("this network", seen in version strings) and 240.0.0.0/4
    (reserved, includes 255.255.255.255 and netmasks such as 255.255.255.0).
    """
    addr = (
        value.network_address if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network) else value
    )
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr.is_loopback or addr.is_unspecified or addr.is_multicast or addr.is_link_local:
        return True
    if isinstance(addr, ipaddress.IPv4Address):
        first = int(addr) >> 24
        return first == 0 or first >= 240
    return False


@lru_cache(maxsize=16384)
def _address(text: str) -> IPAddress | None:
    """The address ``text`` spells, or None (cached: reports repeat their addresses)."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def range_networks(first: IPAddress, last: IPAddress) -> list[str]:
    """The CIDR blocks of an inclusive range; one covering network when there would be many."""
    if first.version != last.version or int(last) < int(first):
        return []
    blocks: list[IPNetwork] = list(
        ipaddress.summarize_address_range(first, last)  # type: ignore[arg-type]
    )
    # A span is a range, never an address: "192.0.2.10-12" is 10/31 and 12, and that 12
    # would read as a host of its own, so such a span is reported as its covering network.
    many_or_bare = len(blocks) > MAX_RANGE_BLOCKS or (
        len(blocks) > 1 and any(b.num_addresses == 1 for b in blocks)
    )
    if many_or_bare:
        prefix = first.max_prefixlen - (int(first) ^ int(last)).bit_length()
        blocks = [ipaddress.ip_network(f"{first}/{prefix}", strict=False)]
    return [canonical_ip(b.compressed) for b in blocks if not _dropped(b)]


def _quad(text: str) -> bytes | None:
    """A dotted quad the IPv4 pattern found, packed by the C ``inet_pton``, or None.

    It takes exactly what ``ipaddress`` takes of such a run (four decimal parts of 0-255,
    no leading zeros: a test checks every shape), so a quad it takes is its own canonical
    text; it is read here without building an address object for every candidate.
    """
    try:
        return socket.inet_pton(socket.AF_INET, text)
    except OSError:
        return None


def _dropped_quad(packed: bytes) -> bool:
    """``_dropped`` of a packed IPv4 address: 0/8, loopback, link-local, multicast, 240/4."""
    first = packed[0]
    return first == 0 or first == 127 or first >= 224 or packed[:2] == b"\xa9\xfe"


def _ipv4_hits(norm: _Normalised) -> list[IpHit]:
    text = norm.text
    hits: list[IpHit] = []
    version, searched = (_LOWER_VERSION_WORD, text.lower()) if text.isascii() else (_VERSION_WORD, text)
    for m in _IPV4.finditer(text):
        quad = m.group("a")
        packed = _quad(quad)
        if packed is None:
            continue  # 010.1.1.1 and 300.1.1.1: not addresses
        if version.search(searched, max(0, m.start() - 16), m.start()):
            continue
        start, end = norm.span(m.start(), m.end())
        if m.group("b") or m.group("last"):
            last = _address(m.group("b") or f"{quad.rsplit('.', 1)[0]}.{m.group('last')}")
            nets = range_networks(ipaddress.IPv4Address(packed), last) if last is not None else []
            hits.extend(IpHit(n, start, end, None, "/" in n) for n in nets)
            continue
        if m.group("prefix"):
            hits.extend(_network_hit(ipaddress.IPv4Address(packed), m.group("prefix"), start, end))
            continue
        if _dropped_quad(packed):
            continue
        port_text = m.group("port") or m.group("tport")
        port = int(port_text) if port_text and int(port_text) <= 65535 else None
        hits.append(IpHit(quad, start, end, port, False))
    return hits


def _network_hit(
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: str, start: int, end: int
) -> list[IpHit]:
    """A CIDR written in the text, kept as one network observation (a /32 or /128 as its address)."""
    try:
        net = ipaddress.ip_network(f"{addr}/{prefix}", strict=False)
    except ValueError:
        return []
    if _dropped(net):
        return []
    ip = canonical_ip(net.compressed)
    return [IpHit(ip, start, end, None, "/" in ip)]


def _ipv6_hits(norm: _Normalised) -> list[IpHit]:
    text = norm.text
    hits: list[IpHit] = []
    for m in _IPV6.finditer(text):
        token = m.group("a")
        if token.endswith(":") and not token.endswith("::"):
            token = token[:-1]  # "... from 2001:db8::1: message"
        addr = _address(token)
        if addr is None or not isinstance(addr, ipaddress.IPv6Address):
            continue
        start, end = norm.span(m.start(), m.end())
        if m.group("prefix"):
            hits.extend(_network_hit(addr, m.group("prefix"), start, end))
            continue
        if _dropped(addr):
            continue
        port = int(m.group("port")) if m.group("port") and int(m.group("port")) <= 65535 else None
        hits.append(IpHit(canonical_ip(str(addr)), start, end, port, False))
    return hits


_ADDRESS_CHAR = re.compile(r"[0-9:\uff10-\uff1a]")


def may_hold_ipv6(text: str) -> bool:
    """Whether ``text`` (normalised) can hold an IPv6 address: every one is written with
    "::" or with at least six colons, unlike a log line's times ("03:14:07")."""
    return "::" in text or text.count(":") >= 6


def find_ips(text: str) -> list[IpHit]:
    """All addresses and networks in ``text``, in order of appearance, without overlaps."""
    if not _ADDRESS_CHAR.search(text):
        return []  # no digit and no colon (nor their full-width forms): no address candidate
    norm = _Normalised(text)
    hits = _ipv4_hits(norm)
    if ":" in norm.text:
        if may_hold_ipv6(norm.text):
            hits.extend(_ipv6_hits(norm))
        hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
        kept: list[IpHit] = []
        limit = -1
        for hit in hits:
            # A range yields several hits with one span; an IPv4 inside ::ffff:a.b.c.d overlaps.
            if hit.start >= limit or (kept and (hit.start, hit.end) == (kept[-1].start, kept[-1].end)):
                kept.append(hit)
                limit = max(limit, hit.end)
        hits = kept
    return hits


_SURROUND = " \t\r\n\"'<>[](){}.,;"


def parse_ip(value: str) -> str | None:
    """One field value (a feed column) -> canonical address or network, else None.

    Accepts surrounding whitespace/quotes/brackets, defanged and full-width forms and
    ``ip:port``; refuses values with anything else around the address.
    """
    text = value.strip()
    if not text or len(text) > 200:
        return None
    hits = find_ips(text)
    if not hits:
        return None
    first, last = hits[0], hits[-1]
    if any((h.start, h.end) != (first.start, first.end) for h in hits):
        return None
    if text[: first.start].strip(_SURROUND) or text[last.end :].strip(_SURROUND):
        return None
    if len(hits) == 1:
        return first.ip
    # A range of several blocks: the one network covering them.
    nets = [ipaddress.ip_network(h.ip, strict=False) for h in hits]
    lo, hi = nets[0].network_address, nets[-1].broadcast_address
    prefix = lo.max_prefixlen - (int(lo) ^ int(hi)).bit_length()
    return canonical_ip(f"{lo}/{prefix}")
