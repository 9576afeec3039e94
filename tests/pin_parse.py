"""Pinned `abusebox parse --json` output of every shared-corpus mail, field trial and example.

The pins (tests/data/parse_pins/) hold, byte for byte, what `abusebox parse --json` prints
for each mail. tests/unit/test_parse_pins.py compares against them, so that a change meant
to be output-neutral (the speed work) proves it is. A change that is meant to alter results
(new vocabulary, rules, formats) regenerates them, and the diff of the pins is reviewed:

    .venv/bin/python tests/pin_parse.py --update

Corpus feeds that are not mails (CSV, TXT) are wrapped into a mail as tests/corpus_samples.py
does, with a Message-ID derived from the file name so that the bytes are the same every run.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from corpus_samples import FEED_SENDERS  # noqa: E402
from formats_mail import mail_with_attachment  # noqa: E402
from paths import CORPUS, DATA, EXAMPLES  # noqa: E402

from abusebox.cli.output import print_json  # noqa: E402
from abusebox.core.config import PgpSettings, Settings  # noqa: E402
from abusebox.pipeline.pool import AnalysisFailure, AnalyzerPool  # noqa: E402

PINS = DATA / "parse_pins"
_MESSAGE_ID = re.compile(rb"^Message-ID: <\d+@example\.net>$", re.MULTILINE)


def _feed_mail(path: Path, rel: str) -> bytes:
    sender = next(s for prefix, s in FEED_SENDERS.items() if rel.startswith(prefix))
    raw = mail_with_attachment(path.read_bytes(), path.name, sender=sender, subject=f"Report {path.name}")
    stable = hashlib.sha256(rel.encode()).hexdigest()[:16]
    return _MESSAGE_ID.sub(f"Message-ID: <{stable}@example.net>".encode(), raw, count=1)


def samples() -> Iterator[tuple[str, bytes]]:
    """(pin name, raw mail) for every pinned mail, in a stable order."""
    if CORPUS.is_dir():
        for path in sorted(CORPUS.rglob("*")):
            rel = path.relative_to(CORPUS).as_posix()
            if not path.is_file():
                continue
            if path.suffix in (".eml", ".msg"):
                yield f"corpus/{rel}", path.read_bytes()
            elif any(rel.startswith(prefix) for prefix in FEED_SENDERS):
                yield f"corpus/{rel}", _feed_mail(path, rel)
    for trial in sorted(DATA.glob("fieldtrial*")):
        for path in sorted(trial.glob("*.eml")):
            yield f"{trial.name}/{path.name}", path.read_bytes()
    for path in sorted((EXAMPLES / "cur").iterdir()):
        if path.is_file() and not path.name.startswith("."):
            yield f"examples/{path.name.split('.', 2)[-1].split(':')[0]}", path.read_bytes()


def render(outcome_analysis: object) -> str:
    """What `abusebox parse --json` prints for one outcome (see abusebox/cli/parse.py)."""
    out = io.StringIO()
    with redirect_stdout(out):
        if isinstance(outcome_analysis, AnalysisFailure):
            print_json({"error": {"stage": outcome_analysis.stage, "reason": outcome_analysis.reason}})
        else:
            print_json(outcome_analysis.contract())  # type: ignore[attr-defined]
    return out.getvalue()


def outputs(processes: int = 2) -> dict[str, str]:
    """The parse --json output of every sample, analysed as the CLI does (worker processes).

    Default settings, as `abusebox parse` has without a config file, with an empty keyring
    of its own (the default var/gnupg is relative to the current directory).
    """
    items = list(samples())
    results: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(pgp=PgpSettings(gnupghome=home))
        with AnalyzerPool(settings, processes=processes) as pool:
            for outcome in pool.run(items):
                results[outcome.key] = render(outcome.analysis or outcome.failure)
    return dict(sorted(results.items()))


def pin_path(name: str) -> Path:
    return PINS / f"{name}.json"


def update() -> int:
    current = outputs()
    for old in PINS.rglob("*.json") if PINS.is_dir() else []:
        old.unlink()
    for name, text in current.items():
        path = pin_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(current)} pins under {PINS}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        print(__doc__)
        sys.exit(2)
    sys.exit(update())
