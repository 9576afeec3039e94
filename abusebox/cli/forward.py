"""`abusebox forward ID [--rule NAME] [--dry-run]`: forward an incident by a [[forward]] rule."""

from __future__ import annotations

import argparse
import getpass
import os

from abusebox.cli.common import err, open_db


def _default_actor() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "forward", parents=[common], help="forward an incident (JPCERT/CC, a CERT, an abuse contact)"
    )
    p.add_argument("id", type=int, help="incident ID")
    p.add_argument("--rule", help="the [[forward]] rule (default: the first that matches)")
    p.add_argument("--dry-run", action="store_true", help="print the mail; queue nothing")
    p.add_argument("--actor", default=_default_actor(), help="who did it (default: $USER)")
    p.set_defaults(func=cmd_forward)


def cmd_forward(args: argparse.Namespace) -> int:
    from abusebox.outbox.forward import ForwardError, choose, forward
    from abusebox.store import incidents as incident_store

    with open_db(args.settings).session() as session:
        detail = incident_store.get_incident(session, args.id)
        if detail is None:
            err(f"no incident {args.id}")
            return 1
        try:
            rule = choose(args.settings, detail, args.rule)
            mail, pk = forward(session, args.settings, detail, rule, args.actor, dry_run=args.dry_run)
        except ForwardError as exc:
            err(str(exc))
            return 1
    print(mail.as_text())
    if pk is not None:
        print(f"queued as outbox {pk} (rule {rule.name}); `abusebox outbox send` delivers it")
    return 0
