"""A large Shadowserver feed to stored incidents: `python -m benchmarks feed [--rows 20000]`.

Issue 13's large feed: a scan_ssh report (87 columns, Shadowserver's column names and
order) of 20,000 rows from 14,806 distinct addresses (as many repeats as the measured
feed had), zipped into one mail as Shadowserver sends it. It measures, in the same run:

- `abusebox ingest` of that one mail (the whole command, a process of its own) to stored,
  grouped incidents, on a fresh SQLite file and a fresh PostgreSQL schema, checking that
  every row became an observation and every (address, category) an incident;
- IntelMQ's Shadowserver parser bot on the same CSV, parse only (benchmarks/intelmq_parse.py,
  run by a venv of its own with `intelmq` from PyPI: `--intelmq-venv`, created on first use);
- linearity: `abusebox ingest` rows/s at 5,000, 20,000 and 80,000 rows (`--sizes`; the
  configuration allows attachments up to 256 MiB: 80,000 rows decompress to 79 MB, over
  the default `max_attachment_bytes`).

At --rows, abusebox and IntelMQ alternate for --rounds rounds and the best of each counts
(the machine is shared). Last line: `feed: abusebox N rows/s, intelmq M rows/s, ratio X`
(SQLite, at --rows; the PostgreSQL line just before it).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.ingest import PG_URL, abusebox, database, write_config
from benchmarks.mixed import REPO
from benchmarks.shadowserver_bench import SCAN_SSH, _q, report_mail

NAME = "feed"
HELP = "a 20,000-row Shadowserver feed in one mail to stored incidents, against IntelMQ's parser"
FILE_NAME = "2026-11-19-scan_ssh-japan-geo.csv"
DISTINCT_SHARE = 14_806 / 20_000  # distinct addresses per row in the feed of issue 13
SCHEMA = REPO.parent / "shared" / "corpus" / "shadowserver-schema" / "shadowserver-schema.json"
DEFAULT_VENV = Path(tempfile.gettempdir()) / "abusebox-bench-intelmq"
DRIVER = Path(__file__).with_name("intelmq_parse.py")
# 80,000 rows of scan_ssh decompress to 79 MB, over the default 64 MiB per attachment.
LIMITS = "[limits]\nmax_attachment_bytes = 268435456\n"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rows", type=int, default=20_000, help="rows of the feed compared with IntelMQ")
    p.add_argument(
        "--sizes",
        default="5000,20000,80000",
        help="comma-separated row counts for the linearity figures ('' to skip)",
    )
    p.add_argument(
        "--rounds", type=int, default=2, help="rounds at --rows, alternating with IntelMQ (best of each)"
    )
    p.add_argument("--postgres", default=PG_URL, metavar="URL", help="PostgreSQL database for the PG figures")
    p.add_argument("--no-postgres", action="store_true", help="SQLite only")
    p.add_argument("--no-intelmq", action="store_true", help="skip IntelMQ (no ratio)")
    p.add_argument("--intelmq-venv", type=Path, default=DEFAULT_VENV, help=f"default {DEFAULT_VENV}")
    p.add_argument("--schema", type=Path, default=SCHEMA, help="Shadowserver's IntelMQ schema (intelmq.json)")


def addresses(n: int, rng: random.Random) -> list[str]:
    """``n`` source addresses, DISTINCT_SHARE of them distinct, the repeats spread over the feed."""
    distinct = max(1, round(n * DISTINCT_SHARE))
    pool: set[str] = set()
    while len(pool) < distinct:
        if rng.random() < 0.05:
            pool.add(f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}")
        else:
            first = rng.choice([o for o in range(1, 224) if o not in (10, 127, 169, 172, 192)])
            pool.add(f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}")
    unique = sorted(pool)
    rng.shuffle(unique)
    out = unique + [rng.choice(unique) for _ in range(n - distinct)]
    rng.shuffle(out)
    return out


def scan_ssh_csv(n: int, seed: int = 20261119) -> str:
    """The scan_ssh CSV: every row one scan of one address, a second apart (then wrapping)."""
    rng = random.Random(seed)
    ips = addresses(n, rng)
    columns = {c: i for i, c in enumerate(SCAN_SSH)}
    out = [",".join(_q(c) for c in SCAN_SSH)]
    for i, ip in enumerate(ips):
        row = [""] * len(SCAN_SSH)
        digest = f"{rng.getrandbits(256):064x}"
        for name, value in (
            ("timestamp", f"2026-11-19 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"),
            ("severity", "medium"),
            ("ip", ip),
            ("protocol", "tcp"),
            ("port", rng.choice((22, 22, 22, 2222))),
            ("hostname", f"host{i}.example.jp"),
            ("tag", "ssh"),
            ("asn", 64500 + i % 20),
            ("geo", "JP"),
            ("region", "TOKYO"),
            ("city", "TOKYO"),
            ("naics", 517311),
            ("sector", "Communications, Service Provider, and Hosting Service"),
            ("serverid_raw", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6"),
            ("serverid_version", "2.0"),
            ("serverid_software", "OpenSSH_8.9p1"),
            ("serverid_comment", "Ubuntu-3ubuntu0.6"),
            ("available_kex", "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256"),
            ("available_ciphers", "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"),
            ("available_mac", "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm"),
            ("available_compression", "none,zlib@openssh.com"),
            ("selected_kex", "curve25519-sha256"),
            ("algorithm", "ssh-ed25519"),
            ("selected_cipher", "chacha20-poly1305@openssh.com"),
            ("selected_mac", "umac-64-etm@openssh.com"),
            ("selected_compression", "none"),
            ("server_host_key", digest * 2),
            ("server_host_key_sha256", digest),
            ("ed25519_curve25519", digest[:43]),
            ("banner", "SSH-2.0-OpenSSH_8.9p1"),
            ("userauth_methods", "publickey,password"),
            ("hassh", digest[:32]),
        ):
            row[columns[name]] = _q(value)
        out.append(",".join(row))
    return "\n".join(out) + "\n"


def _counts(url: str) -> tuple[int, int]:
    """(observations, incidents) stored."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        observations = int(conn.execute(text("SELECT count(*) FROM observations")).scalar_one())
        incidents = int(conn.execute(text("SELECT count(*) FROM incidents")).scalar_one())
    engine.dispose()
    return observations, incidents


def run_abusebox(
    tmp: Path, mail: Path, rows: int, distinct: int, kind: str, pg_url: str
) -> tuple[float, float]:
    """Seconds of `abusebox ingest` of the one mail, wall and CPU (the command and its
    analysis processes); checks what it stored."""
    with database(kind, tmp, pg_url) as url:
        config = write_config(tmp, url, LIMITS)
        cpu_before = _children_cpu()
        seconds = abusebox(config, "ingest", "--quiet", str(mail))
        cpu = _children_cpu() - cpu_before
        observations, incidents = _counts(url)
    if (observations, incidents) != (rows, distinct):
        raise RuntimeError(
            f"{kind}: stored {observations} observations and {incidents} incidents, "
            f"expected {rows} and {distinct}"
        )
    return seconds, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def intelmq_venv(venv: Path) -> Path:
    """The python of a venv with intelmq installed (created and installed on first use)."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} and installing intelmq from PyPI ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import intelmq"], capture_output=True, check=False)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "intelmq"], check=True)
    return python


def run_intelmq(python: Path, schema: Path, csv_path: Path, rows: int) -> tuple[float, str]:
    """Seconds IntelMQ's parser takes on the CSV (the best of two), and its version."""
    done = subprocess.run(
        [str(python), str(DRIVER), str(schema), str(csv_path), FILE_NAME],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"intelmq parse failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["rows"] != rows:
        raise RuntimeError(f"intelmq made {result['rows']} events of {rows} rows")
    return float(result["seconds"]), str(result["version"])


def _feed(tmp: Path, rows: int) -> tuple[Path, Path, int]:
    """The CSV and the mail carrying it, and the number of distinct addresses."""
    text = scan_ssh_csv(rows)
    csv_path = tmp / f"scan_ssh-{rows}.csv"
    csv_path.write_text(text, encoding="utf-8")
    mail = tmp / f"feed-{rows}.eml"
    mail.write_bytes(report_mail(text, FILE_NAME))
    distinct = len({line.split(",")[2] for line in text.splitlines()[1:]})
    return csv_path, mail, distinct


def run(args: argparse.Namespace) -> int:
    kinds = ["sqlite"] + ([] if args.no_postgres else ["postgresql"])
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()} | {args.rows})
    python = None if args.no_intelmq else intelmq_venv(args.intelmq_venv)
    print(f"abusebox code measured: {_measured()}", flush=True)
    rates: dict[tuple[str, int], float] = {}
    per_cpu: dict[tuple[str, int], float] = {}  # rows per CPU second: steadier on a shared machine
    intelmq_rate = 0.0

    def record(name: str, key: tuple[str, int] | None, rows: int, seconds: float, cpu: float | None) -> float:
        rate = rows / seconds
        if key is not None:
            rates[key] = max(rates.get(key, 0.0), rate)
            if cpu:
                per_cpu[key] = max(per_cpu.get(key, 0.0), rows / cpu)
        cpu_text = f"  (CPU {cpu:.2f} s)" if cpu is not None else ""
        print(f"  {name:<27} {seconds:7.2f} s {rate:8,.0f} rows/s{cpu_text}", flush=True)
        return rate

    with tempfile.TemporaryDirectory(prefix="abusebox-bench-feed-") as tmp_name:
        tmp = Path(tmp_name)
        for rows in sizes:
            csv_path, mail, distinct = _feed(tmp, rows)
            size_mb = mail.stat().st_size / 1e6
            print(f"scan_ssh feed: {rows} rows, {distinct} addresses, mail {size_mb:.1f} MB", flush=True)
            # The compared size alternates with IntelMQ for --rounds rounds (best of each).
            rounds = args.rounds if rows == args.rows else 1
            for _round in range(rounds):
                for kind in kinds:
                    seconds, cpu = run_abusebox(tmp, mail, rows, distinct, kind, args.postgres)
                    record(f"abusebox ingest {kind}", (kind, rows), rows, seconds, cpu)
                if python is not None and rows == args.rows:
                    seconds, version = run_intelmq(python, args.schema, csv_path, rows)
                    rate = record(f"intelmq {version} parse only", None, rows, seconds, None)
                    intelmq_rate = max(intelmq_rate, rate)
    print()
    for kind in kinds:
        line = ", ".join(f"{rows:,} rows {rates[(kind, rows)]:,.0f}" for rows in sizes)
        print(f"linearity ({kind}, rows/s): {line}")
        line = ", ".join(f"{rows:,} rows {per_cpu.get((kind, rows), 0.0):,.0f}" for rows in sizes)
        print(f"linearity ({kind}, rows per CPU second): {line}")
    for kind in kinds[1:]:
        rate = rates[(kind, args.rows)]
        print(f"feed ({kind}): {_against(rate, intelmq_rate)}")
    print(f"feed: {_against(rates[('sqlite', args.rows)], intelmq_rate)}")
    return 0


def _against(rate: float, intelmq_rate: float) -> str:
    if not intelmq_rate:
        return f"abusebox {rate:,.0f} rows/s"
    return f"abusebox {rate:,.0f} rows/s, intelmq {intelmq_rate:,.0f} rows/s, ratio {rate / intelmq_rate:.2f}"


def _measured() -> str:
    """Where the `abusebox` the benchmark runs comes from (PYTHONPATH can point elsewhere)."""
    done = subprocess.run(
        [sys.executable, "-c", "import abusebox, os; print(os.path.dirname(abusebox.__file__))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()
