"""Tables in free text: a header row names which column is the source, the target, the port.

Reports paste tables into the body: CSV (``"ip","timestamp",...,"dst_ip"``), pipe tables
(``| 送信元IP | 宛先IP | 宛先ポート |``), HTML tables (cells joined by tabs, see
parsing/text.py), columns aligned with runs of spaces and W3C extended logs (IIS,
Windows Firewall: ``#Fields: date time s-ip ... c-ip``). Cue words cannot tell
``dst_ip`` from ``ip`` on a data row; the header can. ``read_header`` recognises a
header line, ``Header.column`` finds the cell of an address on a following row, and
``Header.port`` reads that row's attacked port.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

from abusebox.parsing.text import normalise

ColumnRole = Literal["source", "target", "port"]

_DELIMITERS = ("\t", "|", "｜", ",", ";")
_W3C_FIELDS = re.compile(r"^\s*#Fields:\s*", re.IGNORECASE)
_W3C = re.compile(r"(?<=\S)\s+(?=\S)")  # W3C logs separate fields with single spaces
_ALIGNED = re.compile(r"(?<=\S) {2,}(?=\S)")  # columns aligned with spaces: 2+ between cells
_SEPARATOR = re.compile(r"^[\s+|=:-]*$")  # +-----+-----+, |---|---|, =====
_NORMALISE = re.compile(r"[^0-9a-z]+")
_SOURCE_NAMES = frozenset(
    {
        "ip", "ip_address", "ipaddress", "address", "src", "src_ip", "srcip", "source", "source_ip",
        "source_address", "source_ip_address", "attacker", "attacker_ip", "attacking_ip", "offender",
        "offending_ip", "host_ip", "remote_ip", "client_ip", "ipv4", "ipv6", "src_addr", "saddr", "c_ip",
    }
)  # fmt: skip
_TARGET_NAMES = frozenset(
    {
        "dst", "dst_ip", "dstip", "dest_ip", "destination", "destination_ip", "destination_address",
        "target", "target_ip", "victim", "victim_ip", "sinkhole", "sinkhole_ip", "server_ip", "server",
        "local_ip", "honeypot", "sensor", "sensor_ip", "dst_addr", "daddr", "s_ip",
        "target_server", "target_host", "attacked_host", "attacked_server", "victim_server", "our_server",
    }
)  # fmt: skip
_PORT_NAMES = frozenset(
    {
        "port", "dst_port", "dstport", "dport", "dest_port", "destination_port", "target_port",
        "service_port", "s_port",
    }
)  # fmt: skip
# Japanese names lose their kana when normalised, so they are matched on the raw cell.
_JA_SOURCE = re.compile(r"^(?:送信元|攻撃元|発信元|接続元|アクセス元)(?:IP)?(?:アドレス)?$", re.IGNORECASE)
_JA_TARGET = re.compile(
    r"^(?:宛先|攻撃先|通信先|接続先|対象|被害)(?:IP)?(?:アドレス|サーバ|ホスト)?$", re.IGNORECASE
)
_JA_PORT = re.compile(r"^(?:宛先|攻撃先|対象)?ポート(?:番号)?$")
_CELL_TRIM = " \t\"'`*[]()（）"
MAX_COLUMNS = 64


@dataclass(frozen=True)
class Header:
    delimiter: re.Pattern[str]
    roles: tuple[ColumnRole | None, ...]

    def _cells(self, line: str) -> list[str]:
        return self.delimiter.split(line.strip() if self._spaced else line, MAX_COLUMNS)

    @property
    def _spaced(self) -> bool:
        return self.delimiter is _ALIGNED or self.delimiter is _W3C

    def column(self, line: str, position: int) -> ColumnRole | None:
        """Role of the column holding ``line[position]`` (cells counted by delimiter)."""
        return self.columns(line, [position])[0]

    def columns(self, line: str, positions: list[int]) -> list[ColumnRole | None]:
        """Roles of the columns holding each of ``positions``: one pass over the line."""
        start = len(line) - len(line.lstrip()) if self._spaced else 0
        ends = [m.end() for m in self.delimiter.finditer(line, start)]
        # A cell starts after a delimiter's end: its index is the delimiters ending at or before it.
        indexes = (bisect.bisect_right(ends, position) for position in positions)
        return [self.roles[i] if i < len(self.roles) else None for i in indexes]

    def port(self, line: str) -> int | None:
        """The attacked port this row states in the header's port column."""
        cells = self._cells(line)
        for index, role in enumerate(self.roles):
            if role == "port" and index < len(cells):
                value = normalise(cells[index]).strip(_CELL_TRIM)
                if value.isascii() and value.isdigit() and 0 < int(value) <= 65535:
                    return int(value)
        return None

    def fits(self, line: str) -> bool:
        """A data row of this table has (about) as many cells as the header."""
        if _SEPARATOR.match(line):
            return True
        cells = len(self._cells(line))
        if self.delimiter is _ALIGNED:  # a cell may hold a space-separated date and time
            return cells == len(self.roles)
        return abs(cells - len(self.roles)) <= 1


def _role(cell: str) -> ColumnRole | None:
    raw = normalise(cell).strip(_CELL_TRIM)
    if _JA_SOURCE.match(raw):
        return "source"
    if _JA_TARGET.match(raw):
        return "target"
    if _JA_PORT.match(raw):
        return "port"
    name = _NORMALISE.sub("_", raw).strip("_")
    name = re.sub(r"_?(?:utc|jst|gmt)$", "", name)
    if name in _SOURCE_NAMES:
        return "source"
    if name in _TARGET_NAMES:
        return "target"
    if name in _PORT_NAMES:
        return "port"
    return None


def read_header(line: str) -> Header | None:
    """The header a line is, when it names a target or a port column (else None).

    A header that names only a source column adds nothing to what cue words already
    decide, so it is not one: its absence keeps the common case unchanged.
    """
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    w3c = _W3C_FIELDS.match(line)
    if w3c:
        delimiter = _W3C
        cells = _W3C.split(line[w3c.end() :].strip(), MAX_COLUMNS)
    elif 2 <= counts[best] <= MAX_COLUMNS:
        delimiter = re.compile(re.escape(best))
        cells = line.split(best, MAX_COLUMNS)
    elif counts[best] == 0 and 2 <= len(_ALIGNED.findall(line.strip())) <= MAX_COLUMNS:
        delimiter = _ALIGNED
        cells = _ALIGNED.split(line.strip(), MAX_COLUMNS)
    else:
        return None
    roles = tuple(_role(cell) for cell in cells)
    if "target" not in roles and "port" not in roles:
        return None
    return Header(delimiter, roles)


def is_separator(line: str) -> bool:
    """A line inside a table that is no row: a rule (``+----+``, ``|---|``) or a W3C
    directive (``#Software: ...``)."""
    return bool(_SEPARATOR.match(line)) or line.lstrip().startswith("#")
