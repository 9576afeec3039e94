"""Large reports in the parent: grouping linear, statements chunked, one message's error its own.

A report may hold tens of thousands of distinct sources (a Shadowserver feed, a log
dump). What the parent does with it must cost time linear in its size, no statement
may bind more parameters than the engine allows, and a statement the database refuses
for one message quarantines that message, with a short reason, while the rest of the
batch is committed; only a database that is really unavailable is a transient error.
"""

from __future__ import annotations

import ipaddress
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import pytest
from incident_helpers import add_report
from sqlalchemy import bindparam, create_engine, event, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from abusebox.core.config import LimitSettings, Settings
from abusebox.core.errors import TransientError
from abusebox.core.models import Observation, RawMessage
from abusebox.extract import extract
from abusebox.incidents import grouping
from abusebox.incidents.grouping import Grouper
from abusebox.parsing.mime import parse_message
from abusebox.pipeline import commit
from abusebox.pipeline.counts import Counts
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store.db import Database
from abusebox.store.schema import EnrichmentQueueRow, IncidentRow, MessageRow

START = datetime(2026, 11, 19, tzinfo=UTC)
STOCK_SQLITE_VARIABLES = 32_766  # SQLITE_MAX_VARIABLE_NUMBER of a stock build (Debian's allows more)


def sources(n: int) -> list[str]:
    base = int(ipaddress.IPv4Address("10.0.0.1"))
    return [str(ipaddress.IPv4Address(base + i)) for i in range(n)]


def observations(n: int) -> list[Observation]:
    return [
        Observation(ip=ip, time=START + timedelta(seconds=i % 3600), category="scan", port=22)
        for i, ip in enumerate(sources(n))
    ]


def stock_sqlite_limit(db: Database, limit: int = STOCK_SQLITE_VARIABLES) -> None:
    """Give every SQLite connection of ``db`` a stock build's bound-parameter limit."""
    if db.engine.dialect.name != "sqlite":
        return

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)

    event.listen(db.engine, "connect", on_connect)
    db.engine.dispose()  # connections opened before (the migrations) get the limit too


def grouping_line_events(db: Database, n: int) -> int:
    """Lines executed in grouping.py while one report of ``n`` distinct sources is grouped."""
    with db.session() as session:
        stored = add_report(session, observations(n), received=START)
    grouper = Grouper(Settings())
    count = 0

    def local(frame: FrameType, event_name: str, _arg: Any) -> Any:
        nonlocal count
        if event_name == "line":
            count += 1
        return local

    def tracer(frame: FrameType, _event: str, _arg: Any) -> Any:
        return local if frame.f_code.co_filename == grouping.__file__ else None

    with db.session() as session:
        sys.settrace(tracer)
        try:
            grouper.group_report(session, stored, "scan", now=START)
        finally:
            sys.settrace(None)
    return count


def test_grouping_a_report_costs_time_linear_in_its_sources(db: Database) -> None:
    # Counted, not timed: the lines grouping.py executes for a report of n distinct
    # sources. Linear work grows 4x from n to 4n; the old membership check (each
    # incident compared with every one the report touched before) grew 16x.
    small = grouping_line_events(db, 300)
    large = grouping_line_events(db, 1200)
    assert large / small < 5, (small, large)


def test_a_report_with_more_sources_than_a_statement_can_bind_is_grouped(db: Database) -> None:
    # 9,000 distinct sources: the enrichment enqueue binds 4 parameters per address
    # (36,000, over a stock SQLite's limit); 17,000 (PostgreSQL's 65,535) costs the same
    # code path, so the smaller case runs on both engines.
    stock_sqlite_limit(db)
    n = 9_000 if db.engine.dialect.name == "sqlite" else 17_000
    with db.session() as session:
        stored = add_report(session, observations(n), received=START)
    with db.session() as session:
        touched = Grouper(Settings()).group_report(session, stored, "scan", now=START)
    assert len(touched) == n
    with db.session() as session:
        assert session.scalar(select(func.count(IncidentRow.id))) == n
        assert session.scalar(select(func.count(EnrichmentQueueRow.id))) == n
    # A second report from the same sources finds every incident (the candidate query,
    # one key per source, is chunked too) instead of opening new ones.
    with db.session() as session:
        again = add_report(session, observations(n), received=START + timedelta(hours=2))
    with db.session() as session:
        Grouper(Settings()).group_report(session, again, "scan", now=START)
    with db.session() as session:
        assert session.scalar(select(func.count(IncidentRow.id))) == n


def test_observations_per_message_are_capped_with_a_reason() -> None:
    lines = "\n".join(f"{ip} port scan 2026-11-19 03:{i % 60:02d}:00 UTC" for i, ip in enumerate(sources(40)))
    raw = f"From: r@example.org\nSubject: scans\nDate: Thu, 19 Nov 2026 04:00:00 +0000\n\n{lines}\n".encode()
    limits = replace(LimitSettings(), max_observations=25)
    extraction = extract(parse_message(raw, limits), limits)
    assert len(extraction.observations) == 25
    capped = [r for r in extraction.reasons if r.rule == "max_observations"]
    assert len(capped) == 1 and "more than 25 observations" in capped[0].text
    uncapped = extract(parse_message(raw, LimitSettings()), LimitSettings())
    assert len(uncapped.observations) == 40
    assert not [r for r in uncapped.reasons if r.rule == "max_observations"]


REFUSED_IP = "203.0.113.45"


def refuse_one_source(db: Database) -> None:
    """A trigger that makes the database itself refuse observations of REFUSED_IP."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON observations "
                    f"WHEN NEW.ip = '{REFUSED_IP}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.ip = '{REFUSED_IP}' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON observations "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )


def report_mail(n: int, ip: str) -> RawMessage:
    raw = (
        f"From: reporter{n}@example.org\r\nSubject: ssh brute force from {ip}\r\n"
        f"Message-ID: <scale-{n}@example.org>\r\nDate: Thu, 19 Nov 2026 04:00:00 +0000\r\n\r\n"
        f"Our sshd saw failed password attempts from {ip} at 2026-11-19 03:14:07 UTC.\r\n"
        f"{ip} port 22: 1200 failed logins (brute force)\r\n"
    ).encode()
    return RawMessage(raw=raw, source="test", source_id=str(n))


def test_a_statement_the_database_refuses_quarantines_that_message_alone(
    settings: Settings, db: Database
) -> None:
    refuse_one_source(db)
    mails = [report_mail(1, "198.51.100.66"), report_mail(2, REFUSED_IP), report_mail(3, "203.0.113.77")]
    counts = Counts()
    with AnalyzerPool(settings) as pool:
        results = list(Pipeline(settings, db, pool).ingest(mails))
    for result in results:
        counts.add(result)
    assert (counts.new, counts.quarantined) == (3, 1)
    with db.session() as session:
        rows = {
            r.source_id: r
            for r in session.execute(
                select(
                    MessageRow.source_id, MessageRow.status, MessageRow.failed_stage, MessageRow.status_reason
                )
            )
        }
    assert rows["2"].status == "quarantined" and rows["2"].failed_stage == "store"
    assert "refused by the test" in rows["2"].status_reason
    # The driver's own words, bounded: never the statement and its parameters.
    assert "INSERT" not in rows["2"].status_reason and len(rows["2"].status_reason) <= 400
    assert rows["1"].status == rows["3"].status == "processed"
    quarantined = next(r for r in results if r.outcome == "quarantined")
    assert quarantined.reason is not None and "INSERT" not in quarantined.reason

    # Replaying it (still refused) quarantines it again, with the same short reason: no traceback.
    with AnalyzerPool(settings) as pool:
        (again,) = Pipeline(settings, db, pool).replay([quarantined.message_pk])
    assert again.outcome == "quarantined" and "refused by the test" in (again.reason or "")


@contextmanager
def transaction_on(url: str, **connect_args: Any) -> Iterator[commit.Transaction]:
    engine = create_engine(url, connect_args=connect_args)

    @contextmanager
    def begin() -> Iterator[Session]:
        with Session(engine) as session, session.begin():
            yield session

    try:
        yield begin
    finally:
        engine.dispose()


def raised(transaction: commit.Transaction, statement: str) -> DBAPIError:
    with pytest.raises(DBAPIError) as info, transaction() as session:
        session.execute(text(statement))
    return info.value


def test_only_an_unavailable_database_is_an_outage(db_url: str, tmp_path: Any) -> None:
    if db_url.startswith("sqlite"):
        # A write lock another connection holds: the database is busy, not the statement wrong.
        holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN IMMEDIATE")
        with transaction_on(f"sqlite:///{tmp_path / 'locked.db'}", timeout=0) as begin:
            locked = raised(begin, "INSERT INTO t VALUES (1)")
            assert commit.is_outage(begin, locked)
            refused = raised(begin, "SELECT no_such_column FROM t")
            assert not commit.is_outage(begin, refused)
        holder.close()
        return
    # PostgreSQL: more parameters than the protocol carries is the statement's fault (the
    # server answers a probe); a server that cannot be reached is an outage.
    with transaction_on(db_url) as begin:
        with pytest.raises(DBAPIError) as too_many, begin() as session:
            statement = text("SELECT 1 WHERE 1 IN :xs").bindparams(bindparam("xs", expanding=True))
            session.execute(statement, {"xs": list(range(70_000))})
        assert not commit.is_outage(begin, too_many.value)
    with transaction_on("postgresql+psycopg://postgres@127.0.0.1:1/test", connect_timeout=2) as down:
        unreachable = raised(down, "SELECT 1")
        assert commit.is_outage(down, unreachable)
        with pytest.raises(TransientError) as transient:
            commit._raise_if_outage(down, unreachable)
        assert len(str(transient.value)) < 500
