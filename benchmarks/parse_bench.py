"""``abusebox parse`` throughput (msgs/s) over the sample corpus, one process.

Every .eml/.msg of ../shared/corpus, the feed files wrapped into mails as attachments
(as tests/unit/test_corpus_expected.py does) and the fixtures of tests/data/formats go
through ``analyze()`` (MIME, PGP check, extraction, triage) ``--rounds`` times.

    PYTHONPATH=. python benchmarks/parse_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from corpus_samples import FEED_SENDERS  # noqa: E402
from formats_mail import mail_with_attachment  # noqa: E402
from paths import CORPUS  # noqa: E402

from abusebox.core.config import Settings  # noqa: E402
from abusebox.pipeline.analyze import analyze  # noqa: E402


def corpus_mails() -> list[tuple[str, bytes]]:
    mails: list[tuple[str, bytes]] = []
    corpus = CORPUS
    if corpus.is_dir():
        for path in sorted(corpus.rglob("*")):
            rel = str(path.relative_to(corpus))
            if path.suffix in (".eml", ".msg") and not rel.startswith("expected"):
                mails.append((rel, path.read_bytes()))
            sender = next((s for prefix, s in FEED_SENDERS.items() if rel.startswith(prefix)), None)
            if sender and path.is_file():
                mails.append((rel, mail_with_attachment(path.read_bytes(), path.name, sender=sender)))
    for path in sorted((ROOT / "tests" / "data" / "formats").glob("*.eml")):
        mails.append((path.name, path.read_bytes()))
    return mails


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    mails = corpus_mails()
    settings = Settings()
    formats: collections.Counter[str] = collections.Counter()
    for _name, raw in mails:
        formats[analyze(raw, settings).extraction.format] += 1
    started = time.perf_counter()
    for _ in range(args.rounds):
        for _name, raw in mails:
            analyze(raw, settings)
    elapsed = time.perf_counter() - started
    count = len(mails) * args.rounds
    size = sum(len(raw) for _n, raw in mails) / len(mails)
    rate = count / elapsed
    print(f"{len(mails)} messages (mean {size / 1024:.1f} KB) x {args.rounds} rounds: {rate:.0f} msgs/s")
    print("formats:", dict(formats.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
