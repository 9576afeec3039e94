"""`abusebox users add|list|disable|token`: accounts of the web UI and API."""

from __future__ import annotations

import argparse
import getpass
import os

from abusebox.cli.common import err, open_db
from abusebox.cli.output import print_json, table
from abusebox.core.choices import USER_ROLES


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    u = sub.add_parser("users", parents=[common], help="web UI and API accounts")
    usub = u.add_subparsers(dest="users_command", required=True, metavar="SUBCOMMAND")
    add = usub.add_parser("add", parents=[common], help="add an account (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=USER_ROLES)
    add.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
    add.set_defaults(func=cmd_add)
    ls = usub.add_parser("list", parents=[common], help="list accounts")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    dis = usub.add_parser("disable", parents=[common], help="disable an account (its tokens stop working)")
    dis.add_argument("name")
    dis.set_defaults(func=cmd_disable)
    tok = usub.add_parser("token", parents=[common], help="print a new API token (only its hash is stored)")
    tok.add_argument("name")
    tok.set_defaults(func=cmd_token)


def _actor() -> str:
    try:
        return "cli:" + (os.environ.get("USER") or getpass.getuser())
    except (KeyError, OSError):
        return "cli"


def cmd_add(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import IntegrityError

    from abusebox.store import audit
    from abusebox.store import users as user_store
    from abusebox.web.accounts import hash_password

    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            err(f"environment variable {args.password_env} is not set or empty")
            return 2
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if password != getpass.getpass("again: "):
            err("the passwords differ")
            return 1
    if len(password) < 8:
        err("a password needs at least 8 characters")
        return 1
    name = args.name.strip()
    if not name or len(name) > 100 or any(c.isspace() or not c.isprintable() for c in name):
        err("a user name is 1 to 100 printable characters without spaces")
        return 1
    db = open_db(args.settings)
    try:
        with db.session() as session:
            user_store.add_user(session, name, args.role, hash_password(password))
            audit.record(session, _actor(), "user_added", target=name, detail={"role": args.role})
    except IntegrityError:
        err(f"user {name} exists already")
        return 1
    print(f"user {name} added ({args.role})")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from abusebox.core.models import format_utc
    from abusebox.store import users as user_store

    with open_db(args.settings).session() as session:
        users = user_store.list_users(session)
    if args.json:
        print_json(
            [
                {
                    "name": u.name,
                    "role": u.role,
                    "disabled": u.disabled,
                    "language": u.language,
                    "created_at": format_utc(u.created_at),
                    "tokens": u.tokens,
                }
                for u in users
            ]
        )
        return 0
    print(
        table(
            [
                (u.name, u.role, "yes" if u.disabled else "no", u.tokens, format_utc(u.created_at))
                for u in users
            ],
            ("NAME", "ROLE", "DISABLED", "TOKENS", "CREATED (UTC)"),
        )
    )
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from abusebox.store import audit
    from abusebox.store import users as user_store

    with open_db(args.settings).session() as session:
        if not user_store.set_disabled(session, args.name):
            err(f"no user {args.name}")
            return 1
        audit.record(session, _actor(), "user_disabled", target=args.name)
    print(f"user {args.name} disabled")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from abusebox.store import audit
    from abusebox.store import users as user_store
    from abusebox.web.accounts import new_token

    token = new_token()
    with open_db(args.settings).session() as session:
        row = user_store.find_user(session, args.name)
        if row is None:
            err(f"no user {args.name}")
            return 1
        user_store.add_token(session, row.id, token)
        audit.record(session, _actor(), "token_issued", target=args.name)
    print(token)
    return 0
