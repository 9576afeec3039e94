"""Throughput of find_ips, find_times and the free-text extractor on generated log text.

Run: python benchmarks/extract_bench.py [--lines N]
Prints lines/s and MB/s per function, and the time for hostile 1 MB inputs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abusebox.extract.freeform import extract_freeform
from abusebox.extract.ips import find_ips
from abusebox.extract.times import find_times
from abusebox.parsing.mime import parse_message

SHAPES = (
    "Nov {d} 03:14:{s:02d} web1 sshd[812]: Failed password for root from {ip} port {p} ssh2",
    "2026-11-{d} 03:14:{s:02d},123 fail2ban.actions [991]: NOTICE [sshd] Ban {ip}",
    "Nov {d} 03:14:{s:02d} fw kernel: [UFW BLOCK] IN=eth0 SRC={ip} DST=192.0.2.10 PROTO=TCP SPT={p} DPT=23",
    '{ip} - - [{d}/Nov/2026:10:20:{s:02d} +0900] "GET /wp-login.php HTTP/1.1" 404 153 "-" "Mozilla/5.0"',
    "貴組織の {ip} から弊社サーバに対して2026年11月{d}日 22時05分{s:02d}秒SSHの総当たり攻撃。",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36 no address here",
)


def generate(lines: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        ip = (
            f"203.0.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            if rng.random() < 0.9
            else (f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}")
        )
        out.append(
            rng.choice(SHAPES).format(
                ip=ip, d=rng.randrange(10, 29), s=rng.randrange(60), p=rng.randrange(1024, 65535)
            )
        )
    return "\n".join(out)


def measure(name: str, func, text: str, lines: int) -> None:
    started = time.perf_counter()
    func(text)
    elapsed = time.perf_counter() - started
    mb = len(text.encode()) / 1e6
    print(f"{name:<28} {lines / elapsed:>12,.0f} lines/s {mb / elapsed:>8.2f} MB/s  ({elapsed:.3f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    text = generate(args.lines)
    print(f"{args.lines:,} generated log lines, {len(text.encode()) / 1e6:.1f} MB")
    measure("find_ips (whole text)", find_ips, text, args.lines)
    measure("find_ips (line by line)", lambda t: [find_ips(x) for x in t.splitlines()], text, args.lines)
    measure("find_times (whole text)", find_times, text, args.lines)
    mail = (
        "From: r@example.org\nSubject: report\nDate: Fri, 20 Nov 2026 09:00:00 +0900\n"
        "Content-Type: text/plain; charset=utf-8\n\n" + text
    ).encode()
    measure("extract_freeform (one mail)", lambda _t: extract_freeform(parse_message(mail)), text, args.lines)
    print("hostile 1 MB inputs:")
    for unit in ("1.", "12.", "1:", "a:", "2026-", "10:20 "):
        hostile = unit * (1_000_000 // len(unit))
        started = time.perf_counter()
        find_ips(hostile)
        find_times(hostile)
        print(f"  {unit!r:>10} x {len(hostile) // len(unit):>7,}: {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
