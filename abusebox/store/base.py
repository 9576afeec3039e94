"""What every table is built on: the declarative base, the column types (aware UTC times,
lists of reasons), ``utcnow`` and ``table_of`` for the bulk statements.

Apart from schema.py (the tables themselves), so that a store module needing a time or a
table's Core form does not read as depending on every table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import JSON, DateTime, Table, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

from abusebox.core.reasons import Reason, reasons_from_json, reasons_to_json


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ReasonList(TypeDecorator[list[Reason]]):
    """A list of Reason values, stored as a JSON list of {stage, rule, score, text, detail}."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: list[Reason] | None, dialect: Any) -> list[dict[str, Any]]:
        return reasons_to_json(value or [])

    def process_result_value(self, value: list[dict[str, Any]] | None, dialect: Any) -> list[Reason]:
        return reasons_from_json(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON, list[Any]: JSON}


def table_of(row: type[Base]) -> Table:
    """The Core table of a mapped class, for bulk statements (typed: ``__table__`` is a FromClause)."""
    return cast(Table, row.__table__)
