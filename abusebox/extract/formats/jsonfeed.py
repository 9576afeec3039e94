"""Generic JSON attachments: an array of events (Microsoft CTIP), ``{"events": [...]}``,
one object, or JSON lines. Keys are matched like CSV columns (see columns.py); one level
of nesting is flattened (``{"source": {"ip": ...}}`` -> ``source_ip``).
"""

from __future__ import annotations

import json
from datetime import tzinfo
from typing import Any

from abusebox.core.models import Extraction, Observation, ParsedMessage
from abusebox.core.reasons import Reason
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
from abusebox.extract.formats.csvfeed import feed_zone
from abusebox.extract.formats.tables import normalise_column
from abusebox.extract.formats.values import evidence, field_ip, field_port, field_time


def load_records(text: str) -> list[dict[str, Any]] | None:
    """The event objects of a JSON (or JSON-lines) document, or None if it is neither."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        doc = json.loads(stripped)
    except RecursionError:
        return None
    except ValueError:
        try:
            doc = [json.loads(line) for line in stripped.splitlines() if line.strip()]
        except (ValueError, RecursionError):
            return None
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)]
        doc = lists[0] if len(lists) == 1 and not _has_source(doc) else [doc]
    if not isinstance(doc, list):
        return None
    return [_flatten(item) for item in doc if isinstance(item, dict)]


def _flatten(item: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in item.items():
        name = normalise_column(str(key))
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                if not isinstance(subvalue, dict | list):
                    flat.setdefault(f"{name}_{normalise_column(str(sub))}", subvalue)
        elif not isinstance(value, list):
            flat.setdefault(name, value)
    return flat


def _has_source(doc: dict[str, Any]) -> bool:
    return any(normalise_column(str(k)) in SOURCE_KEYS for k in doc)


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, bool) else str(value)


def read_records(
    records: list[dict[str, Any]], zone: tzinfo, default: str | None, out: Extraction, reason: str, limit: int
) -> int:
    targets = dict.fromkeys(out.targets)
    found = 0
    for record in records[:limit]:
        ip = next(
            (i for i in (field_ip(_text(record.get(k))) for k in SOURCE_KEYS if k in record) if i), None
        )
        if ip is None:
            continue
        stamp = next((_text(record[k]) for k in TIME_KEYS if _text(record.get(k))), "")
        port = next(
            (p for p in (field_port(_port_text(record.get(k))) for k in PORT_KEYS if k in record) if p), None
        )
        category = next(
            (c for c in (category_of_value(_text(record.get(k))) for k in CATEGORY_KEYS if k in record) if c),
            None,
        )
        compact = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        out.observations.append(
            Observation(
                ip,
                field_time(stamp, zone),
                category or default,
                port,
                evidence(compact),
                time_original=stamp or None,
                reason=reason,
            )
        )
        found += 1
        for key in TARGET_KEYS:
            target = field_ip(_text(record.get(key))) if key in record else None
            if target is not None:
                targets[target] = None
    out.targets = list(targets)
    return found


def _port_text(value: Any) -> str | None:
    return str(value) if isinstance(value, int | str) and not isinstance(value, bool) else None


@register(order=80)
class JsonParser:
    name = "json"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        extraction = Extraction(format=self.name)
        zone: tzinfo | None = None
        default = sender_category(parsed.from_addr)
        matched = False
        for data in ctx.files(parsed):
            records = load_records(data.text)
            if not records:
                continue
            zone = zone or feed_zone(parsed)
            if len(records) > ctx.limits.max_table_rows:
                extraction.reasons.append(
                    Reason(
                        "extract",
                        self.name,
                        None,
                        f"json {data.name}: more than {ctx.limits.max_table_rows} records; rest skipped",
                    )
                )
            if read_records(
                records, zone, default, extraction, f"json {data.name}", ctx.limits.max_table_rows
            ):
                matched = True
        if not matched:
            return None
        cats = {o.category for o in extraction.observations if o.category}
        extraction.category = cats.pop() if len(cats) == 1 else None
        if not cats and extraction.category is None:
            # Events without a type of their own: the covering mail says what they are.
            extraction.category = category_from_text(parsed.body_text[:20_000], subject=parsed.subject)
        return extraction
