"""`abusebox incidents list|show|set-state|assign|merge|unmerge|split|unsplit|export`."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING

from abusebox.cli.common import err, open_db
from abusebox.cli.output import clean, print_json, table
from abusebox.core.choices import CATEGORIES, CAUSES, INCIDENT_STATES, REJECT_REASONS
from abusebox.core.config import Settings

if TYPE_CHECKING:
    from abusebox.store import incidents as incident_store


def _default_actor() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    inc = sub.add_parser("incidents", parents=[common], help="grouped incidents")
    isub = inc.add_subparsers(dest="incidents_command", required=True, metavar="SUBCOMMAND")
    ls = isub.add_parser("list", parents=[common], help="list incidents, most recently seen first")
    ls.add_argument("--state", choices=INCIDENT_STATES)
    ls.add_argument("--category", choices=CATEGORIES)
    ls.add_argument("--owner", help="constituency owner, or an external network's name or CIDR")
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
    st.add_argument("state", choices=INCIDENT_STATES)
    st.add_argument("--note", required=True, help="what was done and why (goes into the work log)")
    st.add_argument("--reason", choices=REJECT_REASONS, help="why it is rejected")
    st.add_argument("--cause", choices=CAUSES)
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
    exp.add_argument("--force", action="store_true", help="replace an existing --out file")
    exp.set_defaults(func=cmd_export)


def _t(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"  # type: ignore[attr-defined]


def cmd_list(args: argparse.Namespace) -> int:
    from abusebox.desk.incidents import summary_json
    from abusebox.store import incidents as incident_store

    db = open_db(args.settings)
    with db.session() as session:
        rows = incident_store.list_incidents(
            session, state=args.state, category=args.category, owner=args.owner, limit=args.limit
        )
    if args.json:
        print_json([summary_json(r) for r in rows])
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
                    r.owner or r.network_name or "-",
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
                "OWNER",
                "REPORTS",
                "OBS",
                "FIRST SEEN (UTC)",
                "LAST SEEN (UTC)",
                "ASSIGNEE",
            ),
        )
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from abusebox.desk.incidents import detail_json
    from abusebox.store import incidents as incident_store

    db = open_db(args.settings)
    with db.session() as session:
        detail = incident_store.get_incident(session, args.id)
    if detail is None:
        err(f"no incident {args.id}")
        return 1
    data = detail_json(detail)
    if args.json:
        print_json(data)
        return 0
    print(clean(render(detail, args.settings), multiline=True))
    return 0


def _field(label: str, value: object) -> str:
    return f"{label + ':':<13}{value}"


def _utc(value: str | None) -> str:
    """``2026-11-19T13:05:13Z`` -> ``2026-11-19 13:05:13 UTC`` (the desk reads it aloud)."""
    return value.replace("T", " ").replace("Z", " UTC") if value else "-"


def _detail(detail: object) -> str:
    """An event's detail as ``key: value`` pairs, not a Python dict."""
    if not isinstance(detail, dict) or not detail:
        return ""
    parts = []
    for key, value in detail.items():
        if isinstance(value, list):
            value = ", ".join(map(str, value)) if len(value) <= 8 else f"{len(value)} items"
        elif isinstance(value, dict):
            value = "; ".join(f"{k}={v}" for k, v in value.items())
        parts.append(f"{key}: {value}")
    return "  (" + ", ".join(parts) + ")"


def render(detail: incident_store.IncidentDetail, settings: Settings) -> str:
    """The human view of one incident for the desk: facts, who to contact, record, log."""
    from abusebox.core.taxonomy import taxonomy
    from abusebox.desk.incidents import detail_json
    from abusebox.incidents.constituency import Constituency

    data = detail_json(detail)
    lines = [
        f"Incident #{detail.pk}  {detail.category or '-'}  ({taxonomy(detail.category) or 'no RSIT type'})"
    ]
    lines.append(
        _field("State", f"{detail.state}    priority {detail.priority}    assignee {detail.assignee or '-'}")
    )
    lines.append(_field("First seen", _utc(data["first_seen"])))
    lines.append(_field("Last seen", _utc(data["last_seen"])))
    lines.append(_field("Volume", f"{detail.report_count} reports, {detail.observation_count} observations"))
    lines.append(_field("Key", f"{detail.group_key} ({detail.key_kind})"))
    lines.append(_field("Sources", ", ".join(detail.sources) or "-"))
    lines.append(_field("Targets", ", ".join(detail.targets) or "-"))
    lines.append(_field("Reporters", clean(", ".join(detail.reporters)) or "-"))
    if detail.ours:
        owner = Constituency(settings.constituency).match(detail.sources[0]) if detail.sources else None
        contact = (
            f"; notify {', '.join(owner.contacts)} ({owner.language})" if owner and owner.contacts else ""
        )
        lines.append(_field("Owner", f"ours: {detail.owner or '-'}{contact}"))
    else:
        net = data["network"]
        if net.get("network"):
            asn = f"AS{net['asn']}" if net.get("asn") else "AS -"
            lines.append(
                _field("Network", f"{net['network']}  {net['name'] or ''}  {asn}  {net['country'] or ''}")
            )
            lines.append(_field("Abuse", ", ".join(net["abuse_contacts"]) or "-"))
        else:
            lines.append(_field("Network", "external, not enriched yet (abusebox enrich --pending)"))
    if detail.merged_into:
        lines.append(_field("Merged into", f"incident #{detail.merged_into} (work on that one)"))
    record = data["record"]
    if detail.ours or any(record.values()):
        needed = " (required to resolve: ours)" if detail.ours and detail.state != "resolved" else ""
        lines.append(f"Closing record{needed}:")
        for key in ("cause", "recovery", "prevention", "lessons", "resolution"):
            lines.append("  " + _field(key, record.get(key) or "-"))
    lines.append("")
    lines.append("Observations (times UTC):")
    lines.append(
        table(
            [
                (
                    o["id"],
                    _utc(o["time"]).removesuffix(" UTC")
                    + (" to " + _utc(o["time_end"]).removesuffix(" UTC") if o.get("time_end") else ""),
                    o["ip"],
                    o["port"] or "",
                    o["message_id"],
                    o["evidence"],
                )
                for o in data["observations"]
            ],
            ("OBS", "TIME", "IP", "PORT", "MSG", "EVIDENCE"),
            max_width=70,
        )
    )
    lines.append("")
    lines.append("Work log (times UTC):")
    for e in data["events"]:
        lines.append(
            f"  {_utc(e['at']).removesuffix(' UTC')}  {e['actor']}: {e['action']}{_detail(e['detail'])}"
        )
    return "\n".join(lines)


def _run(fn, *a, **kw) -> int:  # type: ignore[no-untyped-def]
    from abusebox.incidents import handling, lifecycle

    try:
        fn(*a, **kw)
    except (lifecycle.LifecycleError, handling.HandlingError) as exc:
        err(str(exc))
        return 1
    return 0


def cmd_set_state(args: argparse.Namespace) -> int:
    from abusebox.incidents import lifecycle

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
    from abusebox.incidents import lifecycle

    code = _run(lifecycle.assign, open_db(args.settings), args.id, args.user, args.actor)
    if code == 0:
        print(f"incident {args.id}: assigned to {args.user}")
    return code


def cmd_merge(args: argparse.Namespace) -> int:
    from abusebox.incidents import handling

    code = _run(
        handling.merge, open_db(args.settings), args.target, args.others, args.actor, args.settings.lifecycle
    )
    if code == 0:
        print(f"merged {', '.join(map(str, args.others))} into {args.target}")
    return code


def cmd_unmerge(args: argparse.Namespace) -> int:
    from abusebox.incidents import handling

    code = _run(handling.unmerge, open_db(args.settings), args.id, args.actor)
    if code == 0:
        print(f"incident {args.id}: merge undone")
    return code


def cmd_split(args: argparse.Namespace) -> int:
    from abusebox.incidents import handling

    try:
        new = handling.split(open_db(args.settings), args.id, args.observations, args.actor)
    except handling.HandlingError as exc:
        err(str(exc))
        return 1
    print(f"split {len(set(args.observations))} observations of {args.id} into new incident {new}")
    return 0


def cmd_unsplit(args: argparse.Namespace) -> int:
    from abusebox.incidents import handling

    try:
        original = handling.unsplit(open_db(args.settings), args.id, args.actor)
    except handling.HandlingError as exc:
        err(str(exc))
        return 1
    print(f"incident {args.id}: observations moved back to {original}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from abusebox.desk.export import ExportError, export_incident

    try:
        result = export_incident(args.settings, open_db(args.settings), args.id, args.out, force=args.force)
    except ExportError as exc:
        err(str(exc))
        return 1
    except OSError as exc:  # an unwritable --out: say where, not a traceback
        err(f"cannot write {args.out}: {exc.strerror or exc}")
        return 1
    print(f"wrote {result.path}: {result.messages} messages")
    if result.missing:
        err(f"{len(result.missing)} raw messages were pruned by retention and are not in the export")
    return 0
