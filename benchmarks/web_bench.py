"""The desk's pages at scale: 1,000,000 observations in 50,000 incidents on PostgreSQL.

Fills a throwaway schema with generate_series (200,000 reports of 5 observations each,
20 per incident, in 256 /24 networks), then times each page in-process through the
Starlette app (the server's work: queries and rendering, no network) and prints p50/p95.
Never run as a test: `python benchmarks/web_bench.py` (ABUSEBOX_BENCH_DATABASE_URL to
point it elsewhere; default the test database on 127.0.0.1).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from web_support import add_user, client, login

from abusebox.core.config import Settings
from abusebox.store.db import Database

URL = os.environ.get("ABUSEBOX_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA = "abusebox_bench_web"
INCIDENTS = 50_000
REPORTS = 200_000
PER_REPORT = 5
RUNS = 30

FILL = [
    f"""INSERT INTO incidents (id, group_key, key_kind, category, state, priority, ours, first_seen,
        last_seen, last_activity_at, report_count, observation_count, abuse_contacts, created_at, updated_at)
    SELECT i, '10.' || (i % 256) || '.' || ((i / 256) % 256) || '.' || (i % 250 + 1), 'ip',
        (ARRAY['scan','brute-force','phishing','malware','dos','spam'])[i % 6 + 1],
        (ARRAY['new','triage','contacting','recovering','resolved','rejected'])[i % 6 + 1],
        (ARRAY['low','normal','high'])[i % 3 + 1], false,
        now() - (i % 700) * interval '1 day', now() - (i % 365) * interval '1 hour' - i * interval '1 second',
        now(), {REPORTS // INCIDENTS}, {REPORTS * PER_REPORT // INCIDENTS}, '[]',
        now() - (i % 700) * interval '1 day',
        now()
    FROM generate_series(1, {INCIDENTS}) AS i""",
    f"""INSERT INTO messages (id, sha256, raw, size, source, source_id, received_at, message_id_header,
        from_addr, subject, status, attempts, archived)
    SELECT m, md5(m::text) || md5((m + 1)::text), convert_to('Subject: r' || m, 'UTF8'), 100, 'bench',
        m::text, now() - (m % 700) * interval '1 day', '<m' || m || '@bench.example>',
        'reporter' || (m % 500) || '@example.org', 'report ' || m, 'processed', 1, false
    FROM generate_series(1, {REPORTS}) AS m""",
]


def fill(engine_url: str) -> None:
    admin = create_engine(URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    admin.dispose()
    db = Database(engine_url)
    db.upgrade()
    started = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(text(FILL[0]))
        conn.execute(text(FILL[1]))
        conn.execute(
            text(
                """INSERT INTO reports (id, message_pk, verdict, category, format, language, reporter,
    spam_score, reasons, extraction_reasons, triage_verdict, pgp_status, pgp_encrypted, pgp_detail,
                verdict_by, created_at, updated_at)
    SELECT m, m, 'report', (ARRAY['scan','brute-force','phishing','malware','dos','spam'])[m % 6 + 1],
                'freeform', 'en', 'reporter' || (m % 500) || '@example.org', 0, '[]', '[]', 'report', 'none',
                false, '{}', 'triage', now(), now() FROM generate_series(1, :n) AS m"""
            ),
            {"n": REPORTS},
        )
        # Report m belongs to incident (m % INCIDENTS) + 1; its 5 observations share that incident's IP.
        conn.execute(
            text(
                f"""INSERT INTO observations (report_pk, incident_pk, role, ip, group_key, time, category,
                port, evidence, confidence, created_at)
                SELECT m, inc.id, 'source', inc.group_key, inc.group_key, now() - k * interval '1 minute',
    inc.category, 22, 'sshd: Failed password for root from ' || inc.group_key || ' port 22', 1, now()
                FROM generate_series(1, {REPORTS}) AS m
                JOIN incidents inc ON inc.id = (m % {INCIDENTS}) + 1
                CROSS JOIN generate_series(1, {PER_REPORT}) AS k"""
            )
        )
        conn.execute(
            text(
                """INSERT INTO incident_events (incident_pk, at, actor, action, detail)
                SELECT id, now(), 'abusebox', 'created', '{}' FROM incidents"""
            )
        )
        for table in ("incidents", "messages", "reports", "observations", "incident_events"):
            seq = conn.execute(text(f"SELECT pg_get_serial_sequence('{table}', 'id')")).scalar()
            if seq:
                conn.execute(text(f"SELECT setval('{seq}', (SELECT max(id) FROM {table}))"))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    print(
        f"filled {INCIDENTS:,} incidents, {REPORTS * PER_REPORT:,} observations"
        f" in {time.perf_counter() - started:.0f} s"
    )
    db.dispose()


def main() -> None:
    sep = "&" if "?" in URL else "?"
    url = f"{URL}{sep}options=-csearch_path%3D{SCHEMA}"
    if "--reuse" not in sys.argv:
        fill(url)
    db = Database(url)
    db.upgrade()  # a reused schema gets the newer migrations (0007: kept counts, inet btree)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM users"))
    add_user(db, "bench", "viewer")
    with tempfile.TemporaryDirectory() as tmp:
        c = client(Settings(path=str(Path(tmp) / "abusebox.toml")), db)
        login(c, "bench")
        pages = {
            "queue (first page)": "/incidents",
            "queue (state+category, page 40)": "/incidents?state=triage&category=brute-force&page=40",
            "queue (sorted by reports)": "/incidents?sort=reports",
            "queue (ip filter)": "/incidents?ip=10.7.3.58",
            "incident page": "/incidents/12345",
            "search IP": "/search?q=10.7.3.58",
            "search CIDR /24": "/search?q=10.7.3.0/24",
            "search CIDR /16": "/search?q=10.7.0.0/16",
            "statistics": "/stats",
            "dashboard": "/",
            "API incidents (cidr)": "/api/v1/incidents?cidr=10.7.3.0/24",
        }
        print(f"{'page':36} {'p50 ms':>8} {'p95 ms':>8}")
        for name, path in pages.items():
            c.get(path)  # warm
            times = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                r = c.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code in (200, 401), (path, r.status_code)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"{name:36} {statistics.median(times):8.1f} {p95:8.1f}")
    db.dispose()


if __name__ == "__main__":
    main()
