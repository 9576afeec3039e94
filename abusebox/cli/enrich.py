"""`abusebox enrich --pending`: work the enrichment queue once (the scheduler does it too)."""

from __future__ import annotations

import argparse

from abusebox.cli.common import open_db


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("enrich", parents=[common], help="RDAP/whois enrichment of external sources")
    p.add_argument("--pending", action="store_true", required=True, help="process the due queue entries")
    p.add_argument("--limit", type=int, help="at most this many addresses (default: enrichment.batch_size)")
    p.set_defaults(func=cmd_enrich)


def cmd_enrich(args: argparse.Namespace) -> int:
    from abusebox.enrich.job import run_enrichment
    from abusebox.store import enrichment as enrichment_store

    db = open_db(args.settings)
    run = run_enrichment(args.settings, db, limit=args.limit)
    with db.session() as session:
        left = enrichment_store.pending_count(session)
    print(f"{run.summary()}; {left} pending")
    return 0
