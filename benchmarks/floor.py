"""The floor under the ratio: the work no pipeline of abusebox's design can leave out.

Two parts, measured in the same run as the ceiling and over the same corpus:

- **parse**: every mail parsed as abusebox parses it (``parse_message``: the MIME tree,
  decoded text parts, archives opened), nothing else, on every core; CPU seconds summed.
- **writes**: SQLite's own time for the rows an ``abusebox ingest`` of the corpus left in
  its database, replayed with the sqlite3 module into a fresh database at the same schema
  (the same pragmas, indexes, foreign keys and triggers), in abusebox's batches: each
  batch's raw messages in one transaction (evidence first), then in a second its reports,
  its new incidents with their events, its observations, the enrichment rows, a counter
  update per incident an earlier batch opened (the columns grouping writes), and each
  message's status update. Rows are
  read and bound to tuples before the clock starts, and every row is written once with its
  final values, so this is less than the commit can ever cost.

The writes run in one process (SQLite has one writer); the parse shares the cores with
them. A pipeline that did only this work could not go faster than
``n / max(writes, (parse + writes) / cores)`` messages a second: no triage, no
extraction, no grouping decisions, no Python per row, no transfer between processes. That
rate over the ceiling is the highest ratio this design can reach on this machine.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abusebox.parsing.mime import LimitExceeded, parse_message
from abusebox.pipeline.ingest import COMMIT_BATCH as BATCH
from abusebox.store.grouping import _CHANGES

# Set by the analysis of a message; the raw store leaves them empty (or "new").
_PROCESSED = ("message_id_header", "from_addr", "subject", "date", "status", "status_reason", "processed_at")
_UNSTORED = {"status": "new"}
# What grouping writes to an incident an earlier batch opened.
_GROUPED = tuple(_CHANGES)
_TABLES = ("messages", "reports", "observations", "incidents", "incident_events", "enrichment_queue")


@dataclass(frozen=True)
class Floor:
    messages: int
    parse_cpu: float  # seconds, all cores together
    writes: float  # seconds, one process
    cores: int

    @property
    def seconds(self) -> float:
        return max(self.writes, (self.parse_cpu + self.writes) / self.cores)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def _parse_chunk(paths: list[str]) -> float:
    start = time.process_time()
    for path in paths:
        try:
            parse_message(Path(path).read_bytes())
        except LimitExceeded:
            continue
    return time.process_time() - start


def parse_cpu(files: list[Path], processes: int | None = None) -> float:
    """CPU seconds of parse_message over ``files``, summed over the processes."""
    paths = [str(f) for f in files]
    chunks = [paths[i : i + 50] for i in range(0, len(paths), 50)]
    _parse_chunk(chunks[0][:5])  # warm before the fork: compiled patterns are inherited
    with mp.get_context("fork").Pool(processes or os.cpu_count() or 1) as pool:
        return sum(pool.map(_parse_chunk, chunks))


def _rows(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
    return [d[0] for d in cursor.description], cursor.fetchall()


def _insert(table: str, columns: list[str]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'


class _Replay:
    """The ingested rows, cut into abusebox's batches, bound before any timing."""

    def __init__(self, source: Path) -> None:
        conn = sqlite3.connect(source)
        try:
            self.tables = {t: _rows(conn, t) for t in _TABLES}
        finally:
            conn.close()
        self.batches = self._cut()

    def column(self, table: str, name: str) -> int:
        return self.tables[table][0].index(name)

    def _cut(self) -> list[dict[str, list[tuple[Any, ...]]]]:
        m_cols, messages = self.tables["messages"]
        batch_of: dict[int, int] = {row[0]: i // BATCH for i, row in enumerate(messages)}
        batches: list[dict[str, list[tuple[Any, ...]]]] = [
            defaultdict(list) for _ in range(-(-len(messages) // BATCH))
        ]
        processed = [m_cols.index(c) for c in _PROCESSED]
        for row in messages:
            stored = list(row)
            for index, name in zip(processed, _PROCESSED, strict=True):
                stored[index] = _UNSTORED.get(name)
            batches[batch_of[row[0]]]["messages"].append(tuple(stored))
            batches[batch_of[row[0]]]["status"].append((*(row[i] for i in processed), row[0]))
        report_batch: dict[int, int] = {}
        message_pk = self.column("reports", "message_pk")
        for row in self.tables["reports"][1]:
            report_batch[row[0]] = batch_of[row[message_pk]]
            batches[report_batch[row[0]]]["reports"].append(row)
        report_pk, incident_pk = (
            self.column("observations", "report_pk"),
            self.column("observations", "incident_pk"),
        )
        opened: dict[int, int] = {}  # incident -> the first batch with an observation of it
        for row in self.tables["observations"][1]:
            pk, b = row[incident_pk], report_batch[row[report_pk]]
            if pk is not None:
                opened[pk] = min(b, opened.get(pk, b))
        for row in self.tables["observations"][1]:
            pk, b = row[incident_pk], report_batch[row[report_pk]]
            batches[b]["observations"].append(row)
            if pk is not None and opened[pk] != b:
                batches[b]["touched"].append((pk,))
        grouped = [self.column("incidents", c) for c in _GROUPED]
        final = {}
        for row in self.tables["incidents"][1]:
            batches[opened.get(row[0], 0)]["incidents"].append(row)
            final[row[0]] = tuple(row[i] for i in grouped)
        event_incident = self.column("incident_events", "incident_pk")
        for row in self.tables["incident_events"][1]:
            batches[opened.get(row[event_incident], 0)]["incident_events"].append(row)
        queue = self.tables["enrichment_queue"][1]
        for i, row in enumerate(queue):
            batches[i * len(batches) // max(len(queue), 1)]["enrichment_queue"].append(row)
        for batch in batches:  # one update per incident and batch, as grouping writes them
            batch["touched"] = [(*final[pk], pk) for (pk,) in sorted(set(batch["touched"]))]
        return batches

    def run(self, target: Path) -> float:
        """Seconds of SQLite's own work to write every batch into ``target`` (at schema head)."""
        conn = sqlite3.connect(target, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        sql = {t: _insert(t, cols) for t, (cols, _rows) in self.tables.items()}
        sql["status"] = "UPDATE messages SET " + ", ".join(f"{c} = ?" for c in _PROCESSED) + " WHERE id = ?"
        sql["touched"] = "UPDATE incidents SET " + ", ".join(f"{c} = ?" for c in _GROUPED) + " WHERE id = ?"
        second = (
            "reports",
            "incidents",
            "incident_events",
            "observations",
            "enrichment_queue",
            "touched",
            "status",
        )
        start = time.perf_counter()
        for batch in self.batches:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql["messages"], batch["messages"])
            conn.execute("COMMIT")
            conn.execute("BEGIN IMMEDIATE")
            for name in second:
                if batch.get(name):
                    conn.executemany(sql[name], batch[name])
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
        return elapsed


def snapshot(url: str, dest: Path) -> None:
    """Copy the SQLite database at ``url`` (``sqlite:///path``) to ``dest``, WAL included."""
    src = sqlite3.connect(url.removeprefix("sqlite:///"))
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def writes(source: Path, empty: Path) -> float:
    """SQLite's seconds for the rows of ``source``, replayed into ``empty`` (a fresh schema)."""
    return _Replay(source).run(empty)


def print_floor(floor: Floor, ceiling_rate: float) -> None:
    n = floor.messages
    print(f"floor over the same {n} mails (work no pipeline of this design can leave out):")
    print(f"  parse (parse_message, every core)     {floor.parse_cpu / n * 1000:8.3f} ms/msg CPU")
    print(f"  SQLite's own writes (rows replayed)   {floor.writes / n * 1000:8.3f} ms/msg")
    bound = floor.rate / ceiling_rate if ceiling_rate else 0.0
    print(
        f"  nothing but these on {floor.cores} cores: at most {floor.rate:,.0f} msgs/s, "
        f"ratio at most {bound:.2f}"
    )
