"""Extraction compiled by mypyc, against the same code interpreted: `python -m benchmarks compiled`.

What would compiling the per-line readers buy the analysis? This copies the abusebox package
into a temporary directory and compiles, there, the modules that read every evidence line
(abusebox/extract/ but its format readers, and parsing/text.py and parsing/literals.py) with
mypyc, which comes with the mypy the test extras install (it needs gcc and the Python
headers). Then it runs `python -m benchmarks analyze` over the same corpus, alternating between
this tree (interpreted) and the compiled copy, each in a child process that imports abusebox
from its tree, and prints each round's per-stage means and, last, the ratio of the medians.
It times; it does not compare results. The copy is the same source, and where compiled code
meets a value of another type than its annotation says, it raises, and the run stops.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

NAME = "compiled"
HELP = "analysis with the per-line readers compiled by mypyc, against the same code interpreted"

REPO = Path(__file__).resolve().parents[1]
# The readers every evidence line goes through. The MIME layer (parsing/headers.py, mime.py)
# stays interpreted: the stdlib's compat32 parser hands it email.header.Header objects where
# its stubs say str, which compiled code refuses. The format readers (extract/formats/) read a
# mail once, not line by line, and stay interpreted too.
COMPILED = (
    *(f"abusebox/extract/{name}.py" for name in (
        "categories", "freeform", "ips", "lines", "linetimes", "ports", "roles", "times",
        "timeparts", "zones",
    )),
    "abusebox/parsing/text.py",
    "abusebox/parsing/literals.py",
)  # fmt: skip
_MYPY_INI = "[mypy]\npython_version = 3.11\nignore_missing_imports = True\n"
_STAGE = re.compile(r"^\s+(parse|pgp|extract|triage|analysis)\s+([0-9.]+)\s", re.MULTILINE)
# The child: abusebox from TREE, then the analyze benchmark of this repository.
_CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
import abusebox.extract.timeparts as probe
print("tree:", "compiled" if probe.__file__.endswith(".so") else "interpreted", probe.__file__)
from benchmarks.__main__ import main
sys.exit(main(["analyze", "--messages", sys.argv[2], "--slowest", "0"]))
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--messages", type=int, default=2000, help="mails in the corpus (default 2000)")
    p.add_argument("--rounds", type=int, default=3, help="alternating pairs of runs (default 3)")


def compile_copy(into: Path) -> None:
    """The abusebox package copied into ``into``, its per-line readers compiled in place."""
    shutil.copytree(REPO / "abusebox", into / "abusebox", ignore=shutil.ignore_patterns("__pycache__"))
    (into / "mypy.ini").write_text(_MYPY_INI)
    done = subprocess.run(
        [sys.executable, "-m", "mypyc", *COMPILED], cwd=into, capture_output=True, text=True, check=False
    )
    built = sorted(into.glob("abusebox/**/*.so"))
    if done.returncode != 0 or len(built) != len(COMPILED):
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"mypyc: exit {done.returncode}, {len(built)} of {len(COMPILED)} modules built")


def analyze(tree: Path, messages: int) -> dict[str, float]:
    """Per-stage means (ms per message, CPU) of one analyze run with abusebox from ``tree``."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tree), str(messages)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    print("  " + done.stdout.splitlines()[0])
    return {name: float(value) for name, value in _STAGE.findall(done.stdout)}


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="abusebox-mypyc-") as tmp:
        copy = Path(tmp)
        print(f"compiling {len(COMPILED)} modules with mypyc ...", flush=True)
        compile_copy(copy)
        runs: dict[str, list[dict[str, float]]] = {"interpreted": [], "compiled": []}
        for round_ in range(1, args.rounds + 1):
            for label, tree in (("interpreted", REPO), ("compiled", copy)):
                stages = analyze(tree, args.messages)
                runs[label].append(stages)
                figures = "  ".join(f"{name} {value:.3f}" for name, value in stages.items())
                print(f"round {round_} {label:<11} {figures}", flush=True)
    medians = {
        label: {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
        for label, rounds in runs.items()
    }
    for name in medians["interpreted"]:
        before, after = medians["interpreted"][name], medians["compiled"][name]
        print(f"  {name:<10} interpreted {before:.3f}  compiled {after:.3f} ms per message")
    ratio = medians["compiled"]["analysis"] / medians["interpreted"]["analysis"]
    print(f"compiled: analysis {medians['compiled']['analysis']:.3f} ms per message, ratio {ratio:.2f}")
    return 0
