"""`abusebox incidents list|show`."""

from __future__ import annotations

import argparse

from abusebox.cli.common import err, open_db
from abusebox.cli.output import print_json, table
from abusebox.models import CATEGORIES
from abusebox.store import incidents as incident_store

STATES = ("new", "triage", "contacting", "recovering", "resolved", "rejected")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    inc = sub.add_parser("incidents", parents=[common], help="grouped incidents")
    isub = inc.add_subparsers(dest="incidents_command", required=True, metavar="SUBCOMMAND")
    ls = isub.add_parser("list", parents=[common], help="list incidents, most recently seen first")
    ls.add_argument("--state", choices=STATES)
    ls.add_argument("--category", choices=CATEGORIES)
    ls.add_argument("--owner")
    ls.add_argument("--limit", type=int, default=200)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    show = isub.add_parser("show", parents=[common], help="one incident with observations and timeline")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)


def _t(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"  # type: ignore[attr-defined]


def cmd_list(args: argparse.Namespace) -> int:
    db = open_db(args.settings)
    rows = incident_store.list_incidents(
        db, state=args.state, category=args.category, owner=args.owner, limit=args.limit
    )
    if args.json:
        print_json([r.as_json() for r in rows])
        return 0
    print(
        table(
            [
                (
                    r.pk,
                    r.state,
                    r.priority,
                    r.category or "-",
                    r.group_key,
                    r.report_count,
                    r.observation_count,
                    _t(r.first_seen),
                    _t(r.last_seen),
                    r.assignee or "-",
                )
                for r in rows
            ],
            (
                "ID",
                "STATE",
                "PRIO",
                "CATEGORY",
                "KEY",
                "REPORTS",
                "OBS",
                "FIRST SEEN",
                "LAST SEEN",
                "ASSIGNEE",
            ),
        )
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    db = open_db(args.settings)
    detail = incident_store.get_incident(db, args.id)
    if detail is None:
        err(f"no incident {args.id}")
        return 1
    data = detail.as_json()
    if args.json:
        print_json(data)
        return 0
    print(f"Incident {detail.pk}: {detail.category or '-'} from {detail.group_key}")
    print(f"State {detail.state}, priority {detail.priority}, assignee {detail.assignee or '-'}")
    print(
        f"Seen {data['first_seen']} .. {data['last_seen']}, {detail.report_count} reports, "
        f"{detail.observation_count} observations"
    )
    print(f"Sources:   {', '.join(detail.sources) or '-'}")
    print(f"Targets:   {', '.join(detail.targets) or '-'}")
    print(f"Reporters: {', '.join(detail.reporters) or '-'}")
    if any(detail.record.values()):
        print("Closing record:")
        for key, value in detail.record.items():
            print(f"  {key}: {value or '-'}")
    print("\nObservations:")
    print(
        table(
            [
                (o["time"] or "-", o["ip"], o["port"] or "", o["message_id"], o["evidence"])
                for o in detail.observations
            ],
            ("TIME", "IP", "PORT", "MSG", "EVIDENCE"),
            max_width=70,
        )
    )
    print("\nTimeline:")
    for e in detail.events:
        print(f"  {e['at']}  {e['actor']}: {e['action']} {e['detail'] or ''}")
    return 0
