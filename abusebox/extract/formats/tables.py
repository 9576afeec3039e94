"""Reading delimited tables (CSV, TSV, semicolon, pipe) safely and fast.

The C ``csv`` module does the splitting; a row count bound and a field size bound keep a
hostile file from running long. Cells are data: a ``=cmd|...`` cell is kept as text and
never evaluated (nothing here ever interprets a cell).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from abusebox.core.config import LimitSettings
from abusebox.core.reasons import Reason

_DELIMITERS = (",", "\t", ";", "|")
_NORMALISE = re.compile(r"[^0-9a-z]+")
_MAX_FIELD = 1024 * 1024

csv.field_size_limit(_MAX_FIELD)


def normalise_column(name: str) -> str:
    """``"Source IP"``, ``source-ip``, ``source.ip`` -> ``source_ip``."""
    return _NORMALISE.sub("_", name.strip().strip("\ufeff").lower()).strip("_")


def sniff_delimiter(header_line: str) -> str | None:
    """The delimiter of a header line, or None when it holds no delimiter at all."""
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def first_line(text: str, skip_comments: bool = True) -> tuple[str, int]:
    """The first non-empty (and non-``#``) line and its start offset."""
    pos = 0
    length = len(text)
    while pos < length:
        end = text.find("\n", pos)
        end = length if end < 0 else end
        line = text[pos:end].strip()
        if line and not (skip_comments and line.startswith("#")):
            return line, pos
        pos = end + 1
    return "", length


@dataclass
class Table:
    """A header and an iterator over the data rows (each a list of cells)."""

    label: str
    header: list[str]
    columns: list[str]  # normalised header names
    delimiter: str
    rows: Iterator[list[str]]

    def index(self, *names: str) -> int | None:
        """Position of the first of ``names`` (normalised) present in the header."""
        for name in names:
            if name in self.columns:
                return self.columns.index(name)
        return None

    def indexes(self, names: Sequence[str]) -> list[int]:
        return [self.columns.index(n) for n in names if n in self.columns]


def open_table(
    label: str, text: str, limits: LimitSettings, reasons: list[Reason], *, parser: str
) -> Table | None:
    """Open ``text`` as a table with a header row, or None when it does not look like one.

    Rows skipped (unreadable, over max_table_rows) are explained in ``reasons``, in the
    name of ``parser``.
    """
    line, start = first_line(text)
    delimiter = sniff_delimiter(line)
    if delimiter is None:
        return None
    reader = csv.reader(io.StringIO(text[start:], newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (csv.Error, StopIteration):
        return None
    if len(header) < 2:
        return None
    columns = [normalise_column(h) for h in header]
    return Table(label, header, columns, delimiter, _bounded_rows(label, reader, limits, reasons, parser))


def _bounded_rows(
    label: str, reader: Iterator[list[str]], limits: LimitSettings, reasons: list[Reason], parser: str
) -> Iterator[list[str]]:
    count = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            text = f"table {label}: unreadable after row {count} ({exc}); rest skipped"
            reasons.append(Reason("extract", parser, None, text))
            return
        if not row:
            continue
        count += 1
        if count > limits.max_table_rows:
            text = f"table {label}: more than {limits.max_table_rows} rows; rest skipped (max_table_rows)"
            reasons.append(Reason("extract", parser, None, text))
            return
        yield row


def cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index]


def row_text(row: list[str], delimiter: str) -> str:
    """The row as one evidence line (cells joined by the file's delimiter, trimmed)."""
    text = delimiter.join(row)
    return text if len(text) <= 500 else text[:499] + "…"
