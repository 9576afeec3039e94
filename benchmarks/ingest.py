"""End to end against the machine's ceiling: `python -m benchmarks ingest --messages 10000`.

Builds a realistic mixed corpus (benchmarks/mixed.py), writes it as a Maildir and into the
mailbox of a throwaway Dovecot, then measures, alternating, in the same run: the bare chain
(both cores, benchmarks/ceiling.py); `abusebox ingest` of the Maildir (the whole process);
`abusebox poll --once` of the Dovecot mailbox to stored, grouped incidents, every stage on.
Each on a fresh SQLite database and, unless --no-postgres, a fresh PostgreSQL schema. It
prints a per-stage cost table (parse, PGP, extract, triage, commit: ms per message), the
floor (benchmarks/floor.py: the parse and SQLite's own writes alone, and the highest ratio
they leave), and, last, `ingest: abusebox N msgs/s, ceiling M msgs/s, ratio R`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import abusebox as abusebox_package
from benchmarks import ceiling, floor, stages
from benchmarks.mixed import REPO, corpus, write_maildir

NAME = "ingest"
HELP = "abusebox ingest and poll --once against the bare chain (ratio to the ceiling)"
PG_URL = os.environ.get("ABUSEBOX_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD_ENV = "ABUSEBOX_BENCH_IMAP_PASSWORD"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--messages", type=int, default=10000, help="mails in the corpus (default 10000)")
    p.add_argument("--rounds", type=int, default=1, help="alternating rounds; the best of each is printed")
    p.add_argument("--stage-sample", type=int, default=2000, help="mails timed stage by stage (default 2000)")
    p.add_argument("--postgres", default=PG_URL, metavar="URL", help="PostgreSQL database for the PG figures")
    p.add_argument("--no-postgres", action="store_true", help="SQLite only")
    p.add_argument("--no-poll", action="store_true", help="skip Dovecot and `abusebox poll --once`")


def abusebox(config: Path, *args: str, env: dict[str, str] | None = None) -> float:
    """Run the abusebox command (a process of its own); seconds of wall time."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "abusebox", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"abusebox {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


@contextmanager
def database(kind: str, tmp: Path, pg_url: str) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        path = tmp / f"bench-{secrets.token_hex(4)}.db"
        yield f"sqlite:///{path}"
        path.unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text

    schema = f"abusebox_bench_{secrets.token_hex(4)}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_url else "?"
    try:
        yield f"{pg_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def write_config(tmp: Path, url: str, source: str = "") -> Path:
    config = tmp / f"abusebox-{secrets.token_hex(4)}.toml"
    (tmp / "gnupg").mkdir(exist_ok=True, mode=0o700)
    config.write_text(
        f'[database]\nurl = "{url}"\n\n[pgp]\ngnupghome = "{tmp / "gnupg"}"\n\n'
        f"[enrichment]\noffline = true\n\n{source}",
        encoding="utf-8",
    )
    abusebox(config, "db", "upgrade")
    return config


def run_ingest(tmp: Path, maildir: Path, kind: str, pg_url: str, keep: Path | None = None) -> float:
    """Seconds of `abusebox ingest`; ``keep``: where to copy the SQLite database it left."""
    with database(kind, tmp, pg_url) as url:
        config = write_config(tmp, url)
        elapsed = abusebox(config, "ingest", "--quiet", str(maildir))
        if keep is not None and kind == "sqlite":
            floor.snapshot(url, keep)
        return elapsed


def measure_floor(tmp: Path, files: list[Path], ingested: Path) -> floor.Floor:
    """The floor (benchmarks/floor.py) over ``files``, replaying what ``ingested`` holds."""
    with database("sqlite", tmp, "") as url:
        write_config(tmp, url)
        written = floor.writes(ingested, Path(url.removeprefix("sqlite:///")))
    return floor.Floor(len(files), floor.parse_cpu(files), written, os.cpu_count() or 1)


class Imap:
    """A throwaway Dovecot whose mailboxes are filled by writing their Maildir directly."""

    def __init__(self) -> None:
        from imap_server import PASSWORD, DovecotServer, dovecot_available

        if not dovecot_available():
            raise SystemExit("dovecot is not installed (Debian package dovecot-imapd); use --no-poll")
        self.server = DovecotServer()
        self.server.start()
        self.password = PASSWORD

    def fill(self, mails: list[bytes]) -> str:
        user = self.server.add_user()
        home = self.server.dir / "mail" / user
        write_maildir(home / "Maildir", mails)
        for sub in ("cur", "new", "tmp"):  # Dovecot's maildir root is the user's home here
            shutil.move(str(home / "Maildir" / sub), str(home / sub))
        (home / "Maildir").rmdir()
        subprocess.run(["chown", "-R", "nobody:nogroup", str(home)], check=True)
        return user

    def source(self, user: str) -> str:
        return (
            f'[[sources]]\nname = "abuse"\nkind = "imap"\nhost = "{self.server.host}"\n'
            f'port = {self.server.port}\nsecurity = "plain"\nuser = "{user}"\n'
            f'password_env = "{PASSWORD_ENV}"\nbatch_size = 500\n'
        )

    def close(self) -> None:
        self.server.close(wait=False)


def run_poll(tmp: Path, imap: Imap, mails: list[bytes], kind: str, pg_url: str) -> float:
    user = imap.fill(mails)
    with database(kind, tmp, pg_url) as url:
        config = write_config(tmp, url, imap.source(user))
        elapsed = abusebox(config, "poll", "--once", env={PASSWORD_ENV: imap.password})
        stored = _stored(url)
    if stored != len(mails):
        raise RuntimeError(f"poll --once stored {stored} of {len(mails)} messages")
    return elapsed


def _stored(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM messages")).scalar_one())
    engine.dispose()
    return count


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else 0.0


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: Dovecot and the temp dir go too


def run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _stop)
    n = args.messages
    kinds = ["sqlite"] + ([] if args.no_postgres else ["postgresql"])
    print(f"building {n} mails ...", flush=True)
    mails = list(corpus(n))
    mean_kib = sum(map(len, mails)) / len(mails) / 1024
    print(f"corpus: {n} mails, mean {mean_kib:.1f} KiB, {os.cpu_count()} cores", flush=True)
    print(f"abusebox code measured: {Path(abusebox_package.__file__).parent}", flush=True)
    best: dict[str, float] = {}

    def record(name: str, seconds: float) -> None:
        rate = _rate(n, seconds)
        best[name] = max(best.get(name, 0.0), rate)
        print(f"  {name:<22} {seconds:8.2f} s  {rate:9,.0f} msgs/s", flush=True)

    with tempfile.TemporaryDirectory(prefix="abusebox-bench-") as tmp_name:
        tmp = Path(tmp_name)
        maildir = tmp / "maildir"
        write_maildir(maildir, mails)
        files = sorted((maildir / "new").iterdir())
        imap = None if args.no_poll else Imap()
        ingested = tmp / "ingested.db"
        try:
            for round_no in range(1, args.rounds + 1):
                print(f"round {round_no}:", flush=True)
                record("ceiling (bare chain)", ceiling.run(files, tmp / f"ceiling-{round_no}.db"))
                for kind in kinds:
                    kept = ingested if round_no == 1 else None
                    record(f"ingest {kind}", run_ingest(tmp, maildir, kind, args.postgres, kept))
                    if imap is not None:
                        record(f"poll {kind}", run_poll(tmp, imap, mails, kind, args.postgres))
        finally:
            if imap is not None:
                imap.close()
        print(flush=True)
        stages.print_table(mails[: args.stage_sample], tmp)
        print(flush=True)
        lower = measure_floor(tmp, files, ingested)
    top = best["ceiling (bare chain)"]
    floor.print_floor(lower, top)
    print()
    for kind in kinds[1:]:
        for what in ("poll", "ingest"):
            if f"{what} {kind}" in best:
                rate = best[f"{what} {kind}"]
                line = f"abusebox {rate:,.0f} msgs/s, ceiling {top:,.0f} msgs/s, ratio {rate / top:.2f}"
                print(f"{what} ({kind}): {line}")
    if "poll sqlite" in best:
        rate = best["poll sqlite"]
        print(f"poll: abusebox {rate:,.0f} msgs/s, ceiling {top:,.0f} msgs/s, ratio {rate / top:.2f}")
    rate = best["ingest sqlite"]
    print(f"ingest: abusebox {rate:,.0f} msgs/s, ceiling {top:,.0f} msgs/s, ratio {rate / top:.2f}")
    return 0


__all__ = ["HELP", "NAME", "REPO", "add_arguments", "run"]
