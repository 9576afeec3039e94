"""`abusebox messages list|show`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from abusebox.cli.common import err, open_db
from abusebox.cli.output import clean, print_json, table
from abusebox.core.choices import DESK_VERDICTS, MESSAGE_STATUSES, VERDICTS

if TYPE_CHECKING:
    from abusebox.store.db import Database


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    m = sub.add_parser("messages", parents=[common], help="stored messages and their status")
    msub = m.add_subparsers(dest="messages_command", required=True, metavar="SUBCOMMAND")
    ls = msub.add_parser("list", parents=[common], help="list messages, newest first")
    ls.add_argument("--status", choices=MESSAGE_STATUSES)
    ls.add_argument("--verdict", choices=VERDICTS)
    ls.add_argument("--limit", type=int, default=100)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    show = msub.add_parser("show", parents=[common], help="one message: status, verdict, reasons")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.add_argument("--raw", action="store_true", help="write the raw bytes (the evidence) to stdout")
    show.set_defaults(func=cmd_show)
    rc = msub.add_parser(
        "reclassify",
        parents=[common],
        help="the desk's verdict for a message (reruns extraction and grouping for `report`)",
    )
    rc.add_argument("id", type=int)
    rc.add_argument("verdict", choices=DESK_VERDICTS)
    rc.add_argument("--actor", default=None, help="who decides (default: the login name)")
    rc.add_argument("--note", default=None, help="why, for the record")
    rc.add_argument("--json", action="store_true")
    rc.set_defaults(func=cmd_reclassify)


def cmd_list(args: argparse.Namespace) -> int:
    from abusebox.desk.messages import deciding_reason, summary_json
    from abusebox.store import messages as message_store

    db = open_db(args.settings)
    with db.session() as session:
        rows = message_store.list_messages(
            session, status=args.status, verdict=args.verdict, limit=args.limit
        )
    if args.json:
        print_json([summary_json(r) for r in rows])
        return 0
    print(
        table(
            [
                (
                    r.pk,
                    r.received_at.strftime("%Y-%m-%d %H:%M"),
                    r.status,
                    r.verdict or "-",
                    r.category or "-",
                    r.from_addr or "-",
                    r.subject or "",
                    deciding_reason(r),
                )
                for r in rows
            ],
            ("ID", "RECEIVED", "STATUS", "VERDICT", "CATEGORY", "FROM", "SUBJECT", "REASON"),
            max_width=40,
        )
    )
    if len(rows) == args.limit:  # say so: a silently cut list reads as "that is all"
        err(f"showing the {args.limit} newest; --limit N for more")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from abusebox.desk.messages import message_view
    from abusebox.pgp import describe as pgp_describe

    db = open_db(args.settings)
    if args.raw:
        return _write_raw(args, db)
    with db.session() as session:
        view = message_view(session, args.id)
    if view is None:
        err(f"no message {args.id}")
        return 1
    data = view.as_json()
    pgp = view.pgp
    if args.json:
        print_json(data)
        return 0
    for key in (
        "id",
        "status",
        "status_reason",
        "failed_stage",
        "verdict",
        "category",
        "format",
        "pgp_status",
        "from",
        "subject",
        "received_at",
        "source",
        "source_id",
        "sha256",
        "size",
    ):
        value = data[key] if data[key] is not None else "-"
        if key == "pgp_status" and pgp is not None:
            value = pgp_describe.headline(pgp)
        print(f"{key + ':':<15} {clean(str(value))}")
        if key == "pgp_status" and pgp is not None:
            for line in pgp_describe.lines(pgp):
                print(f"{'':<16}{clean(line)}")
    if data["reasons"]:
        print("reasons:")
        for reason in data["reasons"]:
            print(f"  - {clean(reason)}")
    if data["traceback"]:
        print("traceback:")  # our own code's text, but it may quote the message: cleaned per line
        for line in data["traceback"].splitlines():
            print(f"  {clean(line)}")
    if data["events"]:
        print("events (UTC):")
        for event in data["events"]:
            detail = clean(str(event["detail"] or ""))
            print(f"  {event['at']}  {clean(event['actor'])}: {event['action']} {detail}".rstrip())
    return 0


def _write_raw(args: argparse.Namespace, db: Database) -> int:
    """`messages show --raw`: the evidence bytes, from the archive once retention moved them."""
    from abusebox.store.raw import RawUnavailable, read_raw

    with db.session() as session:
        try:
            raw = read_raw(args.settings, session, args.id)
        except KeyError:
            err(f"no message {args.id}")
            return 1
        except RawUnavailable as exc:
            err(str(exc))
            return 1
    sys.stdout.buffer.write(raw)
    return 0


def cmd_reclassify(args: argparse.Namespace) -> int:
    from abusebox.desk.reclassify import reclassify
    from abusebox.pipeline.ingest import Pipeline
    from abusebox.pipeline.pool import AnalyzerPool

    db = open_db(args.settings)
    actor = args.actor or _login_name()
    # The pool starts its one analysis process only if the decision needs a rerun.
    with AnalyzerPool(args.settings, processes=1) as pool:
        pipeline = Pipeline(args.settings, db, pool)
        try:
            with db.session() as session:
                result = reclassify(session, pipeline, args.id, args.verdict, actor, args.note)
        except KeyError:
            err(f"no message {args.id}")
            return 1
        except ValueError as exc:  # a handler name that cannot be one (empty, "triage")
            err(str(exc))
            return 1
    data = {
        "id": result.message_pk,
        "previous": result.previous,
        "verdict": result.verdict,
        "by": actor,
        "outcome": result.outcome,
        "reason": result.reason,
        "incidents": list(result.incidents),
        "detached": {str(k): v for k, v in result.detached.items()},
    }
    if args.json:
        print_json(data)
    else:
        print(f"message {result.message_pk}: {result.previous or '-'} -> {result.verdict} (by {actor})")
        for incident_pk, count in sorted(result.detached.items()):
            print(f"  detached {count} observations from incident {incident_pk}")
        if result.incidents:
            print(f"  grouped into incidents {', '.join(str(i) for i in result.incidents)}")
        if result.outcome != "processed":
            print(f"  rerun {result.outcome}: {result.reason}")
    return 0 if result.outcome == "processed" else 1


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still name the channel
        return "cli"
