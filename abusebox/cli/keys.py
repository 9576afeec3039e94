"""``abusebox keys ...``: manage the PGP keyring and the reporter trust bindings.

The top-level CLI calls :func:`register` with its subparsers object and puts the loaded
Settings into ``args.settings`` before calling ``args.func(args)``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from abusebox.core.config import PgpSettings, Settings

if TYPE_CHECKING:
    from abusebox.pgp.keys import KeyInfo


def _pgp(args: argparse.Namespace) -> PgpSettings:
    from abusebox.pgp import resolve_settings

    settings: Settings = args.settings
    return resolve_settings(settings)


def _date(timestamp: int | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") if timestamp else "never"


def _describe(key: KeyInfo, bound: list[str]) -> list[str]:
    state = {"r": "revoked", "e": "expired"}.get(key.validity, "valid")
    head = f"{key.fingerprint}  {state}  created {_date(key.created)}  expires {_date(key.expires)}"
    lines = [head + ("  [secret]" if key.secret else "")]
    lines += [f"    uid {u.text}" + ("" if u.usable else " (revoked/expired)") for u in key.user_ids]
    lines += [f"    trusted for {reporter}" for reporter in bound]
    return lines


def cmd_import(args: argparse.Namespace) -> int:
    from abusebox.pgp.gpg import GpgError
    from abusebox.pgp.keys import import_keys

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        outcome = import_keys(_pgp(args), data)
    except GpgError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(outcome.detail)
    for fpr in outcome.fingerprints:
        print(f"  {fpr}")
    return 0 if outcome.ok else 1


def cmd_list(args: argparse.Namespace) -> int:
    from abusebox.pgp.gpg import GpgError, home_path, open_keyring
    from abusebox.pgp.keys import list_keys
    from abusebox.pgp.trust import TrustFileError, load_bindings

    pgp = _pgp(args)
    try:
        keyring = open_keyring(pgp)
        secret = {k.fingerprint for k in list_keys(keyring, secret=True)}
        keys = list_keys(keyring)
        bindings = load_bindings(home_path(pgp))
    except (GpgError, TrustFileError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    for key in keys:
        key.secret = key.fingerprint in secret
        bound = [b.reporter for b in bindings if b.fingerprint == key.fingerprint]
        print("\n".join(_describe(key, bound)))
    if not keys:
        print(f"no keys in {home_path(pgp)}")
    return 0


def cmd_trust(args: argparse.Namespace) -> int:
    from abusebox.pgp.gpg import GpgError, home_path, open_keyring
    from abusebox.pgp.keys import find_key, is_fingerprint
    from abusebox.pgp.trust import TrustFileError, add_binding, normalise_reporter

    pgp = _pgp(args)
    if not is_fingerprint(args.fingerprint):
        print("give the full fingerprint (40 hex digits), not a key id or name", file=sys.stderr)
        return 2
    try:
        reporter = normalise_reporter(args.reporter)
        key = find_key(open_keyring(pgp), args.fingerprint)
        if key is None or key.fingerprint != args.fingerprint.upper().replace(" ", ""):
            print(f"no primary key {args.fingerprint} in the keyring: import it first", file=sys.stderr)
            return 1
        binding = add_binding(home_path(pgp), key.fingerprint, reporter)
    except (ValueError, GpgError, TrustFileError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    addresses = key.addresses()
    print(f"{binding.fingerprint} is now trusted for {binding.reporter}")
    if not any(binding.reporter in (a, "@" + a.rpartition("@")[2]) for a in addresses):
        print(
            f"warning: none of the key's user IDs ({', '.join(sorted(addresses))}) is in {binding.reporter}"
        )
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from abusebox.pgp.gpg import GpgError
    from abusebox.pgp.keys import refresh_keys

    try:
        outcome = refresh_keys(_pgp(args))
    except GpgError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(outcome.detail, file=sys.stdout if outcome.ok else sys.stderr)
    return 0 if outcome.ok else 1


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``keys`` command group (import, list, trust, refresh)."""
    keys = subparsers.add_parser(
        "keys", parents=[common], help="manage the PGP keyring and trusted reporter keys"
    )
    sub = keys.add_subparsers(dest="keys_command", required=True, metavar="SUBCOMMAND")
    p = sub.add_parser(
        "import", parents=[common], help="import keys (a reporter's public key, our own secret key)"
    )
    p.add_argument("file", help="armored or binary OpenPGP key file")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("list", parents=[common], help="list keys and the reporters they are trusted for")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser(
        "trust", parents=[common], help="trust a key to speak for a reporter address or domain"
    )
    p.add_argument("fingerprint", help="full fingerprint of a key in the keyring")
    p.add_argument("--reporter", required=True, help="reporter address (cert@example.org) or domain")
    p.set_defaults(func=cmd_trust)
    p = sub.add_parser(
        "refresh", parents=[common], help="update held keys from the configured keyserver (self-sigs only)"
    )
    p.set_defaults(func=cmd_refresh)
