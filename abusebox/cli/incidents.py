"""`abusebox incidents list|show|set-state|assign|merge|unmerge|split|unsplit|export`."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path

from abusebox import handling, lifecycle
from abusebox.cli.common import err, open_db
from abusebox.cli.output import print_json, table
from abusebox.export import ExportError, export_incident
from abusebox.models import CATEGORIES
from abusebox.store import incidents as incident_store

STATES = lifecycle.STATES


def _default_actor() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


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

    actor = argparse.ArgumentParser(add_help=False)
    actor.add_argument("--actor", default=_default_actor(), help="who did it (default: $USER)")

    st = isub.add_parser("set-state", parents=[common, actor], help="move an incident along the lifecycle")
    st.add_argument("id", type=int)
    st.add_argument("state", choices=STATES)
    st.add_argument("--note", required=True, help="what was done and why (goes into the work log)")
    st.add_argument("--reason", choices=lifecycle.REJECT_REASONS, help="why it is rejected")
    st.add_argument("--cause", choices=lifecycle.CAUSES)
    st.add_argument("--recovery", help="recovery done")
    st.add_argument("--prevention", help="prevention measures")
    st.add_argument("--lessons", help="lessons learnt")
    st.set_defaults(func=cmd_set_state)

    asg = isub.add_parser("assign", parents=[common, actor], help="assign a handler")
    asg.add_argument("id", type=int)
    asg.add_argument("user")
    asg.set_defaults(func=cmd_assign)

    mrg = isub.add_parser("merge", parents=[common, actor], help="fold incidents into the first one")
    mrg.add_argument("target", type=int)
    mrg.add_argument("others", type=int, nargs="+")
    mrg.set_defaults(func=cmd_merge)
    umrg = isub.add_parser("unmerge", parents=[common, actor], help="undo the merge of an incident")
    umrg.add_argument("id", type=int)
    umrg.set_defaults(func=cmd_unmerge)

    spl = isub.add_parser("split", parents=[common, actor], help="move observations into a new incident")
    spl.add_argument("id", type=int)
    spl.add_argument("--observations", type=int, nargs="+", required=True, metavar="OBS_ID")
    spl.set_defaults(func=cmd_split)
    uspl = isub.add_parser(
        "unsplit", parents=[common, actor], help="undo a split (give the new incident's id)"
    )
    uspl.add_argument("id", type=int)
    uspl.set_defaults(func=cmd_unsplit)

    exp = isub.add_parser("export", parents=[common], help="evidence zip: raw mails, manifest, CSV, timeline")
    exp.add_argument("id", type=int)
    exp.add_argument("--out", required=True, type=Path)
    exp.set_defaults(func=cmd_export)


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
    print(f"Key:       {detail.group_key} ({detail.key_kind})")
    print(f"Ours:      {'yes, owner ' + (detail.owner or '-') if detail.ours else 'no (external)'}")
    net = detail.network
    if net.get("network"):
        print(
            f"Network:   {net['network']} {net['name'] or ''} AS{net['asn'] or '-'} {net['country'] or ''}; "
            f"abuse contact {', '.join(net['abuse_contacts']) or '-'}"
        )
    if detail.merged_into:
        print(f"Merged into incident {detail.merged_into}")
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


def _run(fn, *a, **kw) -> int:  # type: ignore[no-untyped-def]
    try:
        fn(*a, **kw)
    except (lifecycle.LifecycleError, handling.HandlingError) as exc:
        err(str(exc))
        return 1
    return 0


def cmd_set_state(args: argparse.Namespace) -> int:
    db = open_db(args.settings)
    record = lifecycle.ClosingRecord(args.cause, args.recovery, args.prevention, args.lessons)
    code = _run(
        lifecycle.set_state,
        db,
        args.id,
        args.state,
        args.actor,
        note=args.note,
        reason=args.reason,
        record=record,
    )
    if code == 0:
        print(f"incident {args.id}: {args.state}")
    return code


def cmd_assign(args: argparse.Namespace) -> int:
    code = _run(lifecycle.assign, open_db(args.settings), args.id, args.user, args.actor)
    if code == 0:
        print(f"incident {args.id}: assigned to {args.user}")
    return code


def cmd_merge(args: argparse.Namespace) -> int:
    code = _run(handling.merge, open_db(args.settings), args.target, args.others, args.actor)
    if code == 0:
        print(f"merged {', '.join(map(str, args.others))} into {args.target}")
    return code


def cmd_unmerge(args: argparse.Namespace) -> int:
    code = _run(handling.unmerge, open_db(args.settings), args.id, args.actor)
    if code == 0:
        print(f"incident {args.id}: merge undone")
    return code


def cmd_split(args: argparse.Namespace) -> int:
    try:
        new = handling.split(open_db(args.settings), args.id, args.observations, args.actor)
    except handling.HandlingError as exc:
        err(str(exc))
        return 1
    print(f"split {len(set(args.observations))} observations of {args.id} into new incident {new}")
    return 0


def cmd_unsplit(args: argparse.Namespace) -> int:
    try:
        original = handling.unsplit(open_db(args.settings), args.id, args.actor)
    except handling.HandlingError as exc:
        err(str(exc))
        return 1
    print(f"incident {args.id}: observations moved back to {original}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    try:
        result = export_incident(args.settings, open_db(args.settings), args.id, args.out)
    except ExportError as exc:
        err(str(exc))
        return 1
    print(f"wrote {result.path}: {result.messages} messages")
    if result.missing:
        err(f"{len(result.missing)} raw messages were pruned by retention and are not in the export")
    return 0
