"""`abusebox ingest PATH...` and `abusebox replay`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from abusebox.cli.common import err, open_db

if TYPE_CHECKING:
    from abusebox.pipeline.counts import Counts

# "More than a handful": the bar appears only once a run lasts this long, and only on a
# terminal (tqdm's disable=None); a pipe or a log file gets the summary line alone.
PROGRESS_DELAY_SECONDS = 0.5


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ingest", parents=[common], help="process .eml files, mbox files and Maildir folders")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--source", default="local", help="source name recorded with each message")
    p.add_argument("--quiet", action="store_true", help="no per-item lines, only the summary")
    p.set_defaults(func=cmd_ingest)

    r = sub.add_parser("replay", parents=[common], help="run stored messages again from their raw bytes")
    r.add_argument("ids", nargs="*", type=int, metavar="ID")
    r.add_argument("--quarantined", action="store_true", help="replay every quarantined message")
    r.set_defaults(func=cmd_replay)


def _report(results: object, counts: Counts, quiet: bool, total_hint: int | None = None) -> None:
    from tqdm import tqdm

    from abusebox.pipeline.counts import IngestResult

    bar = tqdm(
        total=total_hint, unit="msg", disable=None, leave=False, file=sys.stderr, delay=PROGRESS_DELAY_SECONDS
    )
    try:
        for result in results:  # type: ignore[attr-defined]
            assert isinstance(result, IngestResult)
            counts.add(result)
            bar.update(1)
            if result.outcome == "unreadable":
                bar.clear()
                err(f"{result.label}: {result.reason}")
            elif result.outcome == "quarantined" and not quiet:
                bar.clear()
                err(f"{result.label}: quarantined as message {result.message_pk}: {result.reason}")
    finally:
        bar.close()


def cmd_ingest(args: argparse.Namespace) -> int:
    from abusebox.pipeline.pool import AnalyzerPool, start_forkserver

    # The analysis processes' server imports the analysis code while this one opens the
    # database (checking its schema) and imports the pipeline.
    start_forkserver()
    db = open_db(args.settings)
    from abusebox.core.errors import TransientError
    from abusebox.pipeline.counts import Counts
    from abusebox.pipeline.ingest import Pipeline
    from abusebox.sources.local import iter_paths

    counts = Counts()
    with AnalyzerPool(args.settings) as pool:
        pipeline = Pipeline(args.settings, db, pool)
        try:
            _report(
                pipeline.ingest(iter_paths(args.paths, args.source, args.settings.limits.max_read_bytes)),
                counts,
                args.quiet,
            )
        except TransientError as exc:
            err(str(exc))
            print(counts.ingest_summary())
            return 75  # EX_TEMPFAIL: nothing lost, run again
    print(counts.ingest_summary())
    return 1 if counts.read == 0 else 0  # non-zero only when nothing could be read


def cmd_replay(args: argparse.Namespace) -> int:
    from abusebox.core.errors import TransientError
    from abusebox.pipeline.ingest import Pipeline
    from abusebox.pipeline.pool import AnalyzerPool
    from abusebox.store import messages as message_store

    db = open_db(args.settings)
    ids = list(args.ids)
    with db.session() as session:
        if args.quarantined:
            ids += message_store.message_ids(session, status="quarantined")
        unknown = [pk for pk in ids if message_store.get_message(session, pk) is None]
    if not ids:
        err("nothing to replay: give message IDs or --quarantined")
        return 1
    if unknown:
        err(f"no such message: {', '.join(map(str, unknown))}")
        return 1
    processed = quarantined = 0
    with AnalyzerPool(args.settings) as pool:
        try:
            for result in Pipeline(args.settings, db, pool).replay(ids):
                if result.outcome == "quarantined":
                    quarantined += 1
                    err(f"message {result.message_pk}: quarantined: {result.reason}")
                else:
                    processed += 1
        except TransientError as exc:
            err(str(exc))
            print(f"replayed {processed + quarantined} of {len(ids)}; the rest unchanged, run again")
            return 75  # EX_TEMPFAIL: nothing lost, run again
    print(f"replayed {len(ids)}, processed {processed}, quarantined {quarantined}")
    return 0
