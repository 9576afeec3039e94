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
  one ``COPY ... FROM STDIN`` (psycopg's copy protocol, in the same transaction): no
  statement to plan and no parameter limit, whatever the number of rows.

Every row of one call has the same keys; columns left out get their Python-side default
(computed once per call) or else the server's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    Integer,
    Numeric,
    Table,
    TypeDecorator,
    Update,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from abusebox.store.base import UtcDateTime
from abusebox.store.db import STORABLE_CHECKED, storable_all


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
    defaults = _python_defaults(table, rows[0])
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    columns = list(rows[0])
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        _copy_rows(connection, table, columns, rows)
        return
    compiled = insert(table).compile(dialect=dialect, column_keys=columns)
    order = list(compiled.positiontup or ()) if compiled.positional else columns
    if sorted(order) != sorted(columns):  # a column with a default SQLAlchemy computes
        raise RuntimeError(f"bulk insert into {table.name}: parameters {order} for columns {columns}")
    times: dict[datetime, str] = {}
    by_column = [
        _converted(
            _sqlite_processor(table.c[name].type, dialect),
            [r[name] for r in rows],
            _is_text(table.c[name]),
            times,
        )
        for name in order
    ]
    values: list[Any] = list(zip(*by_column, strict=True))
    if not compiled.positional:
        values = [dict(zip(order, v, strict=True)) for v in values]
    connection.exec_driver_sql(str(compiled), values, execution_options=CHECKED)


def execute_rows(session: Session, statement: Update, rows: list[dict[str, Any]]) -> None:
    """``statement`` (an UPDATE with named bind parameters) once per row of ``rows``.

    SQLite: compiled once, each parameter's values converted over the whole batch by its
    type's bind processor (as ``insert_rows`` does), then one executemany of the driver;
    SQLAlchemy would build and process the parameters row by row. PostgreSQL, or a
    statement with parameters of another kind (an IN list): SQLAlchemy's executemany.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    compiled = None
    if dialect.name == "sqlite":
        compiled = _COMPILED.get(statement)
        if compiled is None:
            compiled = _COMPILED[statement] = statement.compile(dialect=dialect)
    if (
        compiled is None
        or not compiled.positional
        or any(b.expanding or b.literal_execute for b in compiled.binds.values())
    ):
        connection.execute(statement, rows)
        return
    times: dict[datetime, str] = {}
    by_name: list[list[Any]] = []
    for name in compiled.positiontup or ():
        bind = compiled.binds[name]
        values = [r[name] for r in rows] if name in rows[0] else [bind.effective_value] * len(rows)
        by_name.append(
            _converted(_sqlite_processor(bind.type, dialect), values, _is_text_type(bind.type), times)
        )
    connection.exec_driver_sql(str(compiled), list(zip(*by_name, strict=True)), execution_options=CHECKED)


_COMPILED: dict[Update, Any] = {}  # SQLite: statements execute_rows has compiled


def _is_text(column: Column[Any]) -> bool:
    """Whether a column's values may be text taken from mail: all but numbers, times and
    JSON (SQLAlchemy's ``json.dumps`` escapes every character outside ASCII)."""
    return _is_text_type(column.type)


def _is_text_type(column_type: Any) -> bool:
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return not isinstance(column_type, _NOT_TEXT)


_NOT_TEXT = (Integer, Boolean, Float, Numeric, DateTime, JSON)


def _python_defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """The Python-side defaults (``default=utcnow``, ``default=list``) of the columns
    ``row`` leaves out, each computed once for the call, as SQLAlchemy would per row."""
    out: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.key in row or default is None or column.primary_key:
            continue
        if getattr(default, "is_callable", False):
            out[column.key] = default.arg(None)  # type: ignore[attr-defined]
        elif getattr(default, "is_scalar", False):
            out[column.key] = default.arg  # type: ignore[attr-defined]
    return out


def _sqlite_processor(column_type: Any, dialect: Any) -> Any:
    """The column's bind processor on SQLite; for ``UtcDateTime`` the same text by one C call.

    SQLAlchemy's path for an aware time is UtcDateTime's step (to UTC, naive) and then the
    SQLite DATETIME format ``YYYY-MM-DD HH:MM:SS.ffffff`` built from a dict per value:
    about a sixth of a large feed's commit CPU. ``isoformat(" ", "microseconds")`` of the
    naive UTC time is that text (tests/unit/test_store_bulk.py checks it against
    SQLAlchemy's own).
    """
    if isinstance(column_type, UtcDateTime):
        return sqlite_utc_text
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def sqlite_utc_text(value: datetime | None) -> str | None:
    """An aware time as SQLite stores a ``UtcDateTime``; None as None."""
    return None if value is None else _utc_text(value)


def _utc_text(value: datetime) -> str:
    if value.tzinfo is UTC:  # the usual case: the text before its "+00:00"
        return value.isoformat(" ", "microseconds")[:-6]
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


# Told to the engine's parameter hook (store/db.py): these values were made storable here.
CHECKED = {STORABLE_CHECKED: True}


def _converted(processor: Any, values: list[Any], text: bool, times: dict[datetime, str]) -> list[Any]:
    """A column's values as the driver takes them. Times are converted once per distinct
    value and insert (``times``, shared by the columns: a batch repeats the moment it was
    written, a feed's seconds, an incident's first and last seen); one object given for
    many rows (a default list) once. ``text``: the column holds text, so unstorable
    characters are replaced (store/db.py); the other columns' values are numbers, times or
    JSON text, which never hold one."""
    if processor is sqlite_utc_text:
        out: list[Any] = []
        for v in values:
            if v is None:
                out.append(None)
                continue
            hit = times.get(v)
            if hit is None:
                hit = times[v] = _utc_text(v)
            out.append(hit)
        values = out
    elif processor is not None:
        by_id: dict[int, Any] = {}
        out = []
        for v in values:
            hit = by_id.get(id(v), _MISSING)
            if hit is _MISSING:
                hit = by_id[id(v)] = processor(v)
            out.append(hit)
        values = out
    return storable_all(values) if text else values


_MISSING = object()


def _pg_values(column_type: Any, values: list[Any], dialect: Any) -> list[Any]:
    if isinstance(column_type, JSON):
        return storable_all([None if v is None else json.dumps(v) for v in values])
    processor = getattr(column_type, "process_bind_param", None)  # a TypeDecorator's own step
    if processor is not None:
        values = [processor(v, dialect) for v in values]
    return storable_all(values)


def _copy_rows(connection: Connection, table: Table, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: ``rows`` through ``COPY ... FROM STDIN`` on this transaction's connection.

    The values are made storable as for any statement (the engine's parameter hook does
    not see a COPY), JSON columns as their text; the server parses each per column type.
    """
    dialect = connection.dialect
    by_column = [_pg_values(table.c[name].type, [r[name] for r in rows], dialect) for name in columns]
    names = ", ".join(f'"{name}"' for name in columns)
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for values in zip(*by_column, strict=True):
            copy.write_row(values)
