"""`abusebox outbox list|show|approve|discard|send`: the one way mail leaves abusebox."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from abusebox.cli.common import err, open_db
from abusebox.cli.output import clean, print_json, table
from abusebox.core.choices import OUTBOX_KINDS, OUTBOX_STATUSES

if TYPE_CHECKING:
    from abusebox.outbox import actions


def _default_actor() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ob = sub.add_parser("outbox", parents=[common], help="outgoing mail: list, approve, discard, send")
    osub = ob.add_subparsers(dest="outbox_command", required=True, metavar="SUBCOMMAND")
    ls = osub.add_parser("list", parents=[common], help="outgoing mails, newest first")
    ls.add_argument("--status", choices=OUTBOX_STATUSES)
    ls.add_argument("--kind", choices=OUTBOX_KINDS)
    ls.add_argument("--limit", type=int, default=500)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    show = osub.add_parser("show", parents=[common], help="one outgoing mail with its text")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.add_argument("--raw", action="store_true", help="write the exact bytes that are (or were) sent")
    show.set_defaults(func=cmd_show)
    for name, func, text in (
        ("approve", cmd_approve, "approve drafts for sending (or retry failed mails)"),
        ("discard", cmd_discard, "discard mails that are not sent"),
    ):
        p = osub.add_parser(name, parents=[common], help=text)
        p.add_argument("ids", type=int, nargs="+", metavar="ID")
        p.add_argument("--actor", default=_default_actor(), help="who did it (default: $USER)")
        p.set_defaults(func=func)
    send = osub.add_parser("send", parents=[common], help="one delivery pass of every approved mail")
    send.set_defaults(func=cmd_send)


def cmd_list(args: argparse.Namespace) -> int:
    from abusebox.core.models import format_utc
    from abusebox.outbox.views import item_json
    from abusebox.store import outbox as outbox_store

    with open_db(args.settings).session() as session:
        items = outbox_store.list_items(session, status=args.status, kind=args.kind, limit=args.limit)
    if args.json:
        print_json([item_json(i) for i in items])
        return 0
    rows = [
        (i.id, i.kind, i.status, ", ".join(i.to), i.subject, i.attempts, format_utc(i.created_at))
        for i in items
    ]
    print(table(rows, ["id", "kind", "status", "to", "subject", "attempts", "created"]))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from abusebox.outbox.views import detail_json
    from abusebox.store import outbox as outbox_store

    with open_db(args.settings).session() as session:
        item = outbox_store.get(session, args.id)
        raw = outbox_store.raw_of(session, args.id) if item is not None and args.raw else None
    if item is None:
        err(f"no outbox mail {args.id}")
        return 1
    if raw is not None:
        sys.stdout.buffer.write(raw)
        return 0
    if args.json:
        print_json(detail_json(item))
        return 0
    data = detail_json(item)
    for key in (
        "id",
        "kind",
        "status",
        "to",
        "subject",
        "message_id",
        "attempts",
        "last_error",
        "incidents",
        "reports",
        "created_by",
        "approved_by",
        "created_at",
        "sent_at",
    ):
        value = data[key]
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else value
        print(f"{key}: {clean('' if shown is None else str(shown))}")
    print()
    print(item.body)
    return 0


def _each(args: argparse.Namespace, action: actions.Action) -> int:
    status = 0
    db = open_db(args.settings)
    for pk in args.ids:
        with db.session() as session:
            problem = action(session, pk, args.actor)
        if problem:
            err(problem)
            status = 1
    return status


def cmd_approve(args: argparse.Namespace) -> int:
    from abusebox.outbox import actions

    return _each(args, actions.approve)


def cmd_discard(args: argparse.Namespace) -> int:
    from abusebox.outbox import actions

    return _each(args, actions.discard)


def cmd_send(args: argparse.Namespace) -> int:
    from abusebox.outbox.sender import send_pass

    counts = send_pass(args.settings, open_db(args.settings))
    print(counts.summary())
    return 0
