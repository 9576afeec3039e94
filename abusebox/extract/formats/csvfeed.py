"""Generic CSV/TSV attachments with a header naming an address column (CERT-EU, zone-h ...).

Naive times in machine-readable feeds are taken as UTC unless the mail states a zone.
"""

from __future__ import annotations

import itertools
from datetime import UTC, tzinfo

from abusebox.core.models import Extraction, Observation, ParsedMessage
from abusebox.extract.categories import category_from_text
from abusebox.extract.formats import register
from abusebox.extract.formats.columns import (
    CATEGORY_KEYS,
    PORT_KEYS,
    SOURCE_KEYS,
    TARGET_KEYS,
    TIME_KEYS,
    category_of_value,
    sender_category,
)
from abusebox.extract.formats.context import FormatContext
from abusebox.extract.formats.tables import Table, cell, open_table, row_text
from abusebox.extract.formats.values import field_ip, field_port, field_time
from abusebox.extract.times import stated_zone

_SAMPLE_ROWS = 20


def pick_ip_column(columns: list[str], sample: list[list[str]], keys: tuple[str, ...]) -> int | None:
    """The first column named in ``keys`` whose sample values are mostly addresses."""
    for key in keys:
        if key not in columns:
            continue
        index = columns.index(key)
        values = [row[index] for row in sample if index < len(row) and row[index].strip()]
        if values and sum(field_ip(v) is not None for v in values) * 2 > len(values):
            return index
    return None


def pick_time_column(columns: list[str], sample: list[list[str]], default_tz: tzinfo) -> int | None:
    for key in TIME_KEYS:
        if key not in columns:
            continue
        index = columns.index(key)
        values = [row[index] for row in sample if index < len(row) and row[index].strip()]
        if values and any(field_time(v, default_tz) is not None for v in values):
            return index
    return None


def read_table(
    table: Table, default_tz: tzinfo, default_category: str | None, extraction: Extraction, reason: str
) -> bool:
    """Append one observation per row with an address; False if the table has no address column."""
    sample = list(itertools.islice(table.rows, _SAMPLE_ROWS))
    src_i = pick_ip_column(table.columns, sample, SOURCE_KEYS)
    if src_i is None:
        return False
    time_i = pick_time_column(table.columns, sample, default_tz)
    port_i = table.index(*PORT_KEYS)
    dst_i = pick_ip_column(table.columns, sample, TARGET_KEYS)
    cat_indexes = table.indexes(CATEGORY_KEYS)
    targets = dict.fromkeys(extraction.targets)
    for row in itertools.chain(sample, table.rows):
        ip = field_ip(cell(row, src_i))
        if ip is None:
            continue
        stamp = cell(row, time_i)
        category = next((c for c in (category_of_value(cell(row, i)) for i in cat_indexes) if c), None)
        extraction.observations.append(
            Observation(
                ip,
                field_time(stamp, default_tz),
                category or default_category,
                field_port(cell(row, port_i)),
                row_text(row, table.delimiter),
                time_original=stamp or None,
                reason=reason,
            )
        )
        dst = field_ip(cell(row, dst_i)) if dst_i is not None else None
        if dst is not None:
            targets[dst] = None
    extraction.targets = list(targets)
    return True


def feed_zone(parsed: ParsedMessage) -> tzinfo:
    return stated_zone(parsed.body_text[:5000]) or UTC


@register(order=90)
class CsvParser:
    name = "csv"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        files = ctx.files(parsed)
        if not files:
            return None
        extraction = Extraction(format=self.name)
        zone: tzinfo | None = None
        # The file may say nothing of what the rows did: the sender, else the mail's words.
        default_category = sender_category(parsed.from_addr) or category_from_text(
            parsed.body_text[:20_000], subject=parsed.subject
        )
        matched = False
        for data in files:
            if data.lower_name.endswith(".json") or data.text.lstrip()[:1] in ("[", "{"):
                continue
            table = open_table(data.name, data.text, ctx.limits, extraction.reasons, parser=self.name)
            if table is None:
                continue
            zone = zone or feed_zone(parsed)
            if read_table(table, zone, default_category, extraction, f"csv {data.name}"):
                matched = True
        if not matched:
            return None
        extraction.category = _report_category(extraction)
        return extraction


def _report_category(extraction: Extraction) -> str | None:
    cats = {o.category for o in extraction.observations if o.category}
    return cats.pop() if len(cats) == 1 else None
