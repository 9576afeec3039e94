"""`abusebox draft ID [--lang ja|en]`: a notification mail draft for an incident."""

from __future__ import annotations

import argparse

from abusebox.cli.common import err, open_db
from abusebox.cli.output import clean, print_json
from abusebox.core.choices import MAIL_LANGUAGES


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "draft",
        parents=[common],
        help="print a notification draft for an incident (to its owner or abuse contact)",
    )
    p.add_argument("id", type=int, help="incident ID")
    p.add_argument(
        "--lang", choices=MAIL_LANGUAGES, help="language (default: the owner's, else [mail] language)"
    )
    p.add_argument("--json", action="store_true", help="{to, subject, body, language}")
    p.set_defaults(func=cmd_draft)


def cmd_draft(args: argparse.Namespace) -> int:
    from abusebox.outbox.drafts import render_notification
    from abusebox.outbox.tickets import tag_for, ticket_number
    from abusebox.store import incidents as incident_store
    from abusebox.store import outbox_facts

    with open_db(args.settings).session() as session:
        detail = incident_store.get_incident(session, args.id)
        created = outbox_facts.incident_created(session, args.id)
    if detail is None:
        err(f"no incident {args.id}")
        return 1
    if not detail.observations:
        err(f"incident {args.id} has no observations left (detached or split off): nothing to notify")
        return 1
    tag = tag_for(args.settings.mail, ticket_number(args.id, created)) if created else None
    draft = render_notification(detail, args.settings, args.lang, tag=tag)
    if args.json:
        print_json({"to": draft.to, "subject": draft.subject, "body": draft.body, "language": draft.language})
    else:
        # Each part cleaned: the To and Subject lines stay one line each (an encoded CRLF in a
        # reporter's subject never adds a header line), the body keeps its lines.
        to = clean(", ".join(draft.to)) or "(no contact known)"
        print(f"To: {to}\nSubject: {clean(draft.subject)}\n\n{clean(draft.body, multiline=True)}")
    return 0
