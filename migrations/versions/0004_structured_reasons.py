"""structured reasons: reasons as JSON objects, triage's own verdict in its own column

Reasons were stored as display strings ("<sentence> [rule +1.5]", a summary line
"spam: score ...", a desk line "desk decision by alice: ..."), and triage's verdict
under a desk decision was read back from the summary's text. Now each reason is an
object {stage, rule, score, text, detail} and ``reports.triage_verdict`` holds
triage's verdict. The old strings are read here, once; the code never reads them.

This file keeps its own copy of the string forms on purpose: a migration must not
change when the application code does.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DESK_PREFIX = "desk decision by "
_HIT = re.compile(r"^(?P<text>.+) \[(?P<rule>[A-Za-z0-9_]+) (?P<score>[+-]\d+(?:\.\d+)?|±0)\]$", re.DOTALL)
_SUMMARY_LABELS = {
    "report": "report",
    "spam": "spam",
    "non-incident": "non_incident",
    "automated": "automated",
}
_PAGE = 500

_reports = sa.table(
    "reports",
    sa.column("id", sa.Integer),
    sa.column("reasons", sa.JSON),
    sa.column("extraction_reasons", sa.JSON),
    sa.column("verdict", sa.String),
    sa.column("verdict_by", sa.String),
    sa.column("triage_verdict", sa.String),
)


def _reason(stage: str, rule: str | None, score: float | None, text: str) -> dict[str, Any]:
    return {"stage": stage, "rule": rule, "score": score, "text": text, "detail": None}


def _summary_verdict(text: str) -> str | None:
    return _SUMMARY_LABELS.get(text.split(":", 1)[0].strip()) if ":" in text else None


def _triage_reasons(old: list[Any]) -> tuple[list[Any], str | None]:
    """The objects for one row's triage reasons, and the verdict its summary line names."""
    out: list[Any] = []
    said: str | None = None
    summary_seen = False
    for item in old:
        if not isinstance(item, str):  # already an object: leave it
            out.append(item)
            continue
        if item.startswith(_DESK_PREFIX):
            out.append(_reason("desk", None, None, item))
            continue
        hit = _HIT.match(item)
        if hit is not None:
            score = 0.0 if hit["score"] == "±0" else float(hit["score"])
            out.append(_reason("triage", hit["rule"], score, hit["text"]))
        elif not summary_seen and _summary_verdict(item) is not None:
            said = _summary_verdict(item)
            out.append(_reason("triage", "verdict", None, item))
        else:
            out.append(_reason("triage", None, None, item))
        summary_seen = True
    return out, said


def _extraction_reasons(old: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in old:
        if not isinstance(item, str):
            out.append(item)
        elif item.startswith("archive "):
            out.append(_reason("parse", "archive", None, item))
        elif item.startswith("part "):
            out.append(_reason("parse", "mime", None, item))
        else:
            out.append(_reason("extract", None, None, item))
    return out


def _display(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    if item.get("rule") is None or item.get("score") is None:
        return item["text"]
    score = float(item["score"])
    sign = f"{score:+.1f}" if score else "±0"
    return f"{item['text']} [{item['rule']} {sign}]"


def _rows(conn: sa.Connection) -> Iterator[Sequence[Any]]:
    last = 0
    while True:
        page = conn.execute(
            sa.select(
                _reports.c.id,
                _reports.c.reasons,
                _reports.c.extraction_reasons,
                _reports.c.verdict,
                _reports.c.verdict_by,
            )
            .where(_reports.c.id > last)
            .order_by(_reports.c.id)
            .limit(_PAGE)
        ).all()
        if not page:
            return
        yield page
        last = page[-1].id


def _rewrite(conn: sa.Connection, values: list[dict[str, Any]], with_verdict: bool) -> None:
    if not values:
        return
    columns: dict[str, Any] = {
        "reasons": sa.bindparam("b_reasons", type_=sa.JSON),
        "extraction_reasons": sa.bindparam("b_extraction", type_=sa.JSON),
    }
    if with_verdict:
        columns["triage_verdict"] = sa.bindparam("b_said", type_=sa.String)
    conn.execute(_reports.update().where(_reports.c.id == sa.bindparam("b_id")).values(**columns), values)


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triage_verdict", sa.String(length=20), nullable=True))
    conn = op.get_bind()
    for page in _rows(conn):
        values = []
        for row in page:
            reasons, said = _triage_reasons(list(row.reasons or []))
            if said is None and row.verdict_by == "triage":
                said = row.verdict
            values.append(
                {
                    "b_id": row.id,
                    "b_reasons": reasons,
                    "b_extraction": _extraction_reasons(list(row.extraction_reasons or [])),
                    "b_said": said,
                }
            )
        _rewrite(conn, values, with_verdict=True)


def downgrade() -> None:
    conn = op.get_bind()
    for page in _rows(conn):
        values = [
            {
                "b_id": row.id,
                "b_reasons": [_display(r) for r in row.reasons or []],
                "b_extraction": [_display(r) for r in row.extraction_reasons or []],
            }
            for row in page
        ]
        _rewrite(conn, values, with_verdict=False)
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("triage_verdict")
