"""Bulk writes of plain rows: what a commit batch holding a large feed is made of.

A feed of 20,000 rows is 20,000 observations, ~15,000 incidents and ~30,000 events in one
transaction. SQLAlchemy's per-row work (parameter construction, type processing per
value) and, on PostgreSQL, one statement per row (executemany) or psycopg re-parsing a
multi-row VALUES page cost more than the database's work; so here:

- ``reserve_pks``: the ids of rows about to be inserted, known before the insert (so an
  observation can be inserted already pointing at its incident): PostgreSQL draws them
  from the table's sequence; SQLite takes the ones it would assign itself (above the
  largest rowid: the tables have no AUTOINCREMENT, and the transaction holds the write
  lock, BEGIN IMMEDIATE, so nobody else inserts meanwhile).
- ``insert_rows``: SQLite gets one executemany of the driver with the values converted
  by the columns' own bind processors (exactly what SQLAlchemy would store); PostgreSQL
  one INSERT ... SELECT FROM unnest(column arrays) per chunk: one statement, one round
  trip, whatever the number of rows.

Every row of one call has the same keys; columns left out get their server default
only (none of the Python-side defaults), so callers give every column they need.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON

from abusebox.store.db import storable

ROWS_PER_STATEMENT = 20_000  # PostgreSQL: rows per unnest statement (its parameters: one per column)


def reserve_pks(session: Session, table: Table, n: int) -> list[int]:
    """Ids for ``n`` rows of ``table`` about to be inserted by this transaction, ascending."""
    if n <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        pks = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": n},
        ).scalars()
        return sorted(int(pk) for pk in pks)
    top = int(session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
    return list(range(top + 1, top + 1 + n))


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of the same column keys), in order."""
    if not rows:
        return
    columns = list(rows[0])
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            part = rows[start : start + ROWS_PER_STATEMENT]
            arrays = _arrays(table, columns, part, dialect)
            connection.exec_driver_sql(_unnest_sql(table, columns, dialect), arrays)
        return
    compiled = insert(table).compile(dialect=dialect, column_keys=columns)
    order = list(compiled.positiontup or ()) if compiled.positional else columns
    if sorted(order) != sorted(columns):  # a column with a Python-side default left out
        raise RuntimeError(f"bulk insert into {table.name}: parameters {order} for columns {columns}")
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in order]
    converted = [
        tuple(row[c] if p is None else p(row[c]) for c, p in zip(order, processors, strict=True))
        for row in rows
    ]
    values: list[Any] = (
        converted if compiled.positional else [dict(zip(order, v, strict=True)) for v in converted]
    )
    connection.exec_driver_sql(str(compiled), values)


def _unnest_sql(table: Table, columns: list[str], dialect: Any) -> str:
    arrays = []
    outputs = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            arrays.append(f"%({name})s::text[]")
            outputs.append(f"t.{name}::json")
        else:
            arrays.append(f"%({name})s::{column_type.compile(dialect=dialect)}[]")
            outputs.append(f"t.{name}")
    names = ", ".join(columns)
    return (
        f"INSERT INTO {table.name} ({names}) SELECT {', '.join(outputs)} "
        f"FROM unnest({', '.join(arrays)}) WITH ORDINALITY AS t({names}, _n) ORDER BY t._n"
    )


def _arrays(
    table: Table, columns: list[str], rows: list[dict[str, Any]], dialect: Any
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name in columns:
        column_type = table.c[name].type
        values = [row[name] for row in rows]
        if isinstance(column_type, JSON):
            values = [None if v is None else storable(json.dumps(v)) for v in values]
        elif isinstance(values[0], str) or any(isinstance(v, str) for v in values):
            values = [storable(v) for v in values]
        else:
            processor = getattr(column_type, "process_bind_param", None)
            if processor is not None:
                values = [processor(v, dialect) for v in values]
        out[name] = values
    return out
