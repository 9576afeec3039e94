"""`abusebox digest run [--recipient NAME] [--dry-run]`: the periodic digests, once, now."""

from __future__ import annotations

import argparse

from abusebox.cli.common import err, open_db


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    dg = sub.add_parser("digest", parents=[common], help="periodic digests ([[digest]] recipients)")
    dsub = dg.add_subparsers(dest="digest_command", required=True, metavar="SUBCOMMAND")
    run = dsub.add_parser("run", parents=[common], help="compose (and queue) each recipient's digest now")
    run.add_argument("--recipient", metavar="NAME", help="only this [[digest]] recipient")
    run.add_argument("--dry-run", action="store_true", help="show exactly what would be sent; queue nothing")
    run.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from abusebox.outbox.digest import run_digest

    recipients = [r for r in args.settings.digest if args.recipient in (None, r.name)]
    if not recipients:
        err(
            f"no [[digest]] recipient named {args.recipient!r}"
            if args.recipient
            else "no [[digest]] configured"
        )
        return 1
    db = open_db(args.settings)
    for recipient in recipients:
        with db.session() as session:
            digest, pk = run_digest(session, args.settings, recipient, dry_run=args.dry_run)
        if digest is None:
            print(f"{recipient.name}: nothing new")
            continue
        if args.dry_run:
            print(digest.as_text())
        print(
            f"{recipient.name}: {len(digest.incidents)} incidents, {len(digest.observations)} observations"
            + (f", queued as outbox {pk}" if pk is not None else " (dry run: nothing queued)")
        )
    return 0
