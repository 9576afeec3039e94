"""Bulk import: `python -m benchmarks mbox --messages 100000` (msgs/s and peak RSS).

Writes the mixed corpus (benchmarks/mixed.py) as one mbox file and runs `abusebox ingest`
on it into a fresh SQLite database, sampling the resident memory of the command and its
analysis processes. By default it runs 10,000 first and then the number asked for, so
that the two peaks show whether memory stays flat as the mailbox grows.
"""

from __future__ import annotations

import argparse
import mailbox
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.ingest import write_config
from benchmarks.mixed import corpus

NAME = "mbox"
HELP = "abusebox ingest of a generated mbox: msgs/s and peak RSS (10k, then N)"
SAMPLE_SECONDS = 0.2


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--messages", type=int, default=100000, help="mails in the big mbox (default 100000)")
    p.add_argument("--small", type=int, default=10000, help="mails in the first mbox (0: skip it)")


def _kib(path: str, field: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kib(pid: int) -> int:
    return _kib(f"/proc/{pid}/status", "VmRSS:")


def _pss_kib(pid: int) -> int:
    """Proportional set size: pages the forked workers share with the parent count once."""
    return _kib(f"/proc/{pid}/smaps_rollup", "Pss:")


def _tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                pids.extend(_tree(int(child)))
    except OSError:
        pass
    return pids


def write_mbox(path: Path, n: int) -> None:
    box = mailbox.mbox(str(path), create=True)
    box.lock()
    try:
        for raw in corpus(n):
            box.add(raw)
    finally:
        box.flush()
        box.unlock()
        box.close()


def ingest(tmp: Path, mbox_path: Path) -> tuple[float, int, int]:
    """Seconds, peak RSS of the main process and peak PSS of it plus its workers (KiB)."""
    config = write_config(tmp, f"sqlite:///{tmp / f'{mbox_path.stem}.db'}")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "abusebox", "--config", str(config), "ingest", "--quiet", str(mbox_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    main_peak = tree_peak = 0
    while proc.poll() is None:
        main_peak = max(main_peak, _rss_kib(proc.pid))
        tree_peak = max(tree_peak, sum(_pss_kib(p) for p in _tree(proc.pid)))
        time.sleep(SAMPLE_SECONDS)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"abusebox ingest failed: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
    return elapsed, main_peak, tree_peak


def run(args: argparse.Namespace) -> int:
    sizes = [n for n in (args.small, args.messages) if n]
    with tempfile.TemporaryDirectory(prefix="abusebox-bench-mbox-") as tmp_name:
        tmp = Path(tmp_name)
        for n in sizes:
            path = tmp / f"bench-{n}.mbox"
            write_mbox(path, n)
            size_mib = path.stat().st_size / 2**20
            elapsed, main_kib, tree_kib = ingest(tmp, path)
            print(
                f"mbox {n} msgs ({size_mib:,.0f} MiB): {elapsed:.1f} s = {n / elapsed:,.0f} msgs/s, "
                f"peak RSS {main_kib / 1024:,.0f} MB (main process), {tree_kib / 1024:,.0f} MB "
                "(PSS with its analysis processes)",
                flush=True,
            )
            path.unlink()
    return 0
