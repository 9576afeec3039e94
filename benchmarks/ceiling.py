"""The bare chain, the machine's ceiling: read, parse, decode, find addresses, insert.

Per file, on every core: read it, parse it with the stdlib ``email`` (compat32), decode the
text parts by their charset, find loose IP candidates and validate them with ``ipaddress``;
the parent inserts the raw bytes and the addresses in one SQLite transaction per 500 mails.
What abusebox adds on top of this (triage, formats, times, grouping) is what the ratio shows.
"""

from __future__ import annotations

import email
import hashlib
import ipaddress
import multiprocessing as mp
import os
import re
import sqlite3
import time
from email import policy
from pathlib import Path

CANDIDATE = re.compile(r"[0-9A-Fa-f:.]{7,45}")
BATCH = 500


def _addresses(text: str) -> list[str]:
    found = []
    for cand in CANDIDATE.findall(text):
        try:
            found.append(str(ipaddress.ip_address(cand.strip(".:"))))
        except ValueError:
            continue
    return found


def _one(path: str) -> tuple[str, bytes, list[str]]:
    raw = Path(path).read_bytes()
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    found: list[str] = []
    for part in msg.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, "replace")
        except LookupError:
            text = payload.decode("utf-8", "replace")
        found.extend(_addresses(text))
    return hashlib.sha256(raw).hexdigest(), raw, found


def run(files: list[Path], db_path: Path, processes: int | None = None) -> float:
    """Seconds for the whole chain over ``files`` into a fresh SQLite file."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE, bytes BLOB)")
    conn.execute("CREATE TABLE obs (raw_id INTEGER, ip TEXT)")
    start = time.perf_counter()
    with mp.get_context("fork").Pool(processes or os.cpu_count() or 1) as pool:
        batch: list[tuple[str, bytes, list[str]]] = []
        for item in pool.imap_unordered(_one, [str(f) for f in files], chunksize=50):
            batch.append(item)
            if len(batch) >= BATCH:
                _insert(conn, batch)
                batch = []
        if batch:
            _insert(conn, batch)
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _insert(conn: sqlite3.Connection, batch: list[tuple[str, bytes, list[str]]]) -> None:
    with conn:
        for sha, raw, found in batch:
            cur = conn.execute("INSERT INTO raw (sha256, bytes) VALUES (?, ?)", (sha, raw))
            conn.executemany("INSERT INTO obs VALUES (?, ?)", [(cur.lastrowid, ip) for ip in found])
