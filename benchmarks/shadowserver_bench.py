"""Whole-process throughput on big Shadowserver reports (rows/s through analyze()).

Generates a realistic 20,000-row scan_ssh CSV (87 columns, the published column order)
and a 20,000-row blocklist CSV (13 columns), zips each into a mail as Shadowserver
sends them, and times ``analyze()`` on the raw mail: MIME parse, base64, unzip, CSV,
observations. IntelMQ 3.5.0 parses 2,400 (scan_ssh) to 4,400 (blocklist) rows/s,
parse only; the target is at least twice that, whole process.

    PYTHONPATH=. python benchmarks/shadowserver_bench.py [--rows N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import pstats
import random
import sys
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

from abusebox.core.config import Settings
from abusebox.pipeline.analyze import analyze

# The column lists live beside the tests, which generate feeds from them too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from shadowserver_columns import BLOCKLIST, SCAN_SSH


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(65536):x}"
    first = rng.choice([o for o in range(1, 224) if o not in (127, 169)])  # no loopback/link-local
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _q(value: object) -> str:
    return '"' + str(value).replace('"', '""') + '"'


def scan_ssh_rows(n: int, rng: random.Random) -> str:
    out = [",".join(_q(c) for c in SCAN_SSH)]
    for i in range(n):
        digest = hashlib.sha256(str(i).encode()).hexdigest()
        values: dict[str, object] = {
            "timestamp": f"2026-11-19 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}",
            "severity": "medium",
            "ip": _ip(rng),
            "protocol": "tcp",
            "port": rng.choice((22, 22, 22, 2222)),
            "hostname": f"host{i}.example.jp",
            "tag": "ssh",
            "asn": 64500 + i % 20,
            "geo": "JP",
            "region": "TOKYO",
            "city": "TOKYO",
            "naics": 517311,
            "sector": "Communications, Service Provider, and Hosting Service",
            "serverid_raw": "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6",
            "serverid_version": "2.0",
            "serverid_software": "OpenSSH_8.9p1",
            "serverid_comment": "Ubuntu-3ubuntu0.6",
            "available_kex": "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256",
            "available_ciphers": "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr",
            "available_mac": "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
            "available_compression": "none,zlib@openssh.com",
            "selected_kex": "curve25519-sha256",
            "algorithm": "ssh-ed25519",
            "selected_cipher": "chacha20-poly1305@openssh.com",
            "selected_mac": "umac-64-etm@openssh.com",
            "selected_compression": "none",
            "server_host_key": digest * 2,
            "server_host_key_sha256": digest,
            "ed25519_curve25519": digest[:43],
            "banner": "SSH-2.0-OpenSSH_8.9p1",
            "userauth_methods": "publickey,password",
            "hassh": digest[:32],
        }
        out.append(",".join(_q(values[c]) if c in values else "" for c in SCAN_SSH))
    return "\n".join(out) + "\n"


def blocklist_rows(n: int, rng: random.Random) -> str:
    out = [",".join(_q(c) for c in BLOCKLIST)]
    for i in range(n):
        values = [
            f"2026-11-19 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}",
            "high",
            _ip(rng),
            f"h{i}.example.jp" if i % 3 else "",
            rng.choice(("Alien Vault", "Spamhaus", "blocklist.de")),
            "Malicious Host",
            64500 + i % 20,
            "JP",
            "TOKYO",
            "TOKYO",
            517311,
            "Communications, Service Provider, and Hosting Service",
            "",
        ]
        out.append(",".join(_q(v) for v in values))
    return "\n".join(out) + "\n"


def report_mail(csv_text: str, name: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, csv_text)
    msg = EmailMessage()
    msg["From"] = "autoreports@shadowserver.org"
    msg["To"] = "abuse@example.jp"
    msg["Subject"] = f"[Japan] Shadowserver Japan Report: {name}"
    msg["Date"] = "Fri, 20 Nov 2026 06:32:10 +0000"
    msg["Message-ID"] = f"<{name}@shadowserver.org>"
    msg.set_content("The report is attached.\n")
    msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename=name + ".zip")
    return msg.as_bytes()


def bench(label: str, raw: bytes, rows: int, repeat: int, profile: bool) -> float:
    settings = Settings()
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        analysis = analyze(raw, settings)
        best = min(best, time.perf_counter() - started)
    found = len(analysis.extraction.observations)
    assert found == rows, (label, found, rows, analysis.extraction.reasons)
    rate = rows / best
    print(f"{label:28s} {rows:6d} rows  mail {len(raw) / 1e6:5.1f} MB  {best:6.3f} s  {rate:8.0f} rows/s")
    if profile:
        prof = cProfile.Profile()
        prof.enable()
        analyze(raw, settings)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(12)
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    rng = random.Random(20261119)
    ssh = report_mail(scan_ssh_rows(args.rows, rng), "2026-11-19-scan_ssh-japan-geo.csv")
    block = report_mail(blocklist_rows(args.rows, rng), "2026-11-19-blocklist-japan-geo.csv")
    ssh_rate = bench("scan_ssh (87 columns)", ssh, args.rows, args.repeat, args.profile)
    block_rate = bench("blocklist (13 columns)", block, args.rows, args.repeat, args.profile)
    print(f"vs IntelMQ 3.5.0 parse-only: scan_ssh x{ssh_rate / 2400:.1f}, blocklist x{block_rate / 4400:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
