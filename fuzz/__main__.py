"""Run the fuzzer for N minutes: `python -m fuzz --minutes 30 [--out fuzz/findings]`.

Hypothesis drives the inputs (fuzz/inputs.py); each example runs analysis and the commit
path (fuzz/targets.py). Findings do not stop the run: each distinct one is written to
the output folder as the crashing input (`<n>.eml`) and its traceback (`<n>.txt`), so it
can become a regression test. Prints a summary line at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings

from fuzz.inputs import message, seeds
from fuzz.targets import Target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "findings")
    parser.add_argument("--memory-mb", type=int, default=1536, help="address-space cap for this process")
    parser.add_argument("--slow-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    cap = args.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    args.out.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + args.minutes * 60
    seen: dict[str, int] = {}
    stats = {"examples": 0, "findings": 0, "seeds": len(seeds())}
    with tempfile.TemporaryDirectory(prefix="abusebox-fuzz-") as work:
        target = Target(Path(work), args.slow_seconds)

        @settings(
            max_examples=10**9,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(raw=message())
        def one(raw: bytes) -> None:
            if time.monotonic() > deadline:
                raise _TimeUp
            stats["examples"] += 1
            for finding in target.run(raw):
                key = f"{finding.kind}: {finding.signature}"
                if key in seen:
                    continue
                seen[key] = len(seen) + 1
                stats["findings"] += 1
                name = f"{seen[key]:03d}-{finding.kind}-{hashlib.sha256(raw).hexdigest()[:12]}"
                (args.out / f"{name}.eml").write_bytes(raw)
                (args.out / f"{name}.txt").write_text(f"{key}\n\n{finding.detail}\n")
                print(f"finding {name}: {key}", flush=True)
            if stats["examples"] % 500 == 0:
                print(json.dumps(stats), flush=True)

        started = time.monotonic()
        with contextlib.suppress(_TimeUp):
            one()
        stats["minutes"] = round((time.monotonic() - started) / 60, 1)  # type: ignore[assignment]
    print(json.dumps(stats | {"distinct": sorted(seen)}), flush=True)
    return 0


class _TimeUp(Exception):
    pass


if __name__ == "__main__":
    sys.exit(main())
