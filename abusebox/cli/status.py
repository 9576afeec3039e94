"""`abusebox status [--json]`: per-source poll counters and message status counts."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from abusebox.cli.common import open_db
from abusebox.cli.output import print_json, table

if TYPE_CHECKING:
    from abusebox.store.mailbox import SourceState


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("status", parents=[common], help="poll counters per source and message counts")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)


def _when(state: SourceState | None, attr: str) -> str:
    value = getattr(state, attr) if state else None
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "never"


def cmd_status(args: argparse.Namespace) -> int:
    from abusebox.desk.sources import source_json
    from abusebox.store import mailbox as mailbox_store
    from abusebox.store import messages as message_store

    db = open_db(args.settings)
    with db.session() as session:
        states = {s.source: s for s in mailbox_store.source_states(session)}
        messages = message_store.status_counts(session)
    configured = {s.name: s for s in args.settings.sources}
    names = list(configured) + sorted(n for n in states if n not in configured)
    if args.json:
        sources = []
        for name in names:
            state = states.get(name)
            entry = source_json(state) if state else {"source": name}
            source = configured.get(name)
            entry["kind"] = source.kind if source else None
            entry["enabled"] = source.enabled if source else None
            sources.append(entry)
        print_json({"sources": sources, "messages": messages})
        return 0
    rows = []
    for name in names:
        state = states.get(name)
        source = configured.get(name)
        rows.append(
            [
                name,
                (source.kind if source else "?") + ("" if not source or source.enabled else " (off)"),
                *(
                    (state.fetched, state.new, state.duplicates, state.quarantined, state.moved, state.errors)
                    if state
                    else (0, 0, 0, 0, 0, 0)
                ),
                _when(state, "last_success_at"),
                (state.last_error or "") if state else "",
            ]
        )
    headers = [
        "source",
        "kind",
        "fetched",
        "new",
        "dup",
        "quar",
        "moved",
        "errors",
        "last success",
        "last error",
    ]
    print(table(rows, headers) if rows else "no sources configured or polled")
    print()
    total = sum(messages.values())
    parts = ", ".join(f"{status} {count}" for status, count in sorted(messages.items()))
    print(f"messages: {total}" + (f" ({parts})" if parts else ""))
    return 0
