"""The desk's read model of the sources' poll counters: what `abusebox status --json` prints."""

from __future__ import annotations

from typing import Any

from abusebox.core.models import format_utc
from abusebox.store.mailbox import SourceState


def source_json(state: SourceState) -> dict[str, Any]:
    return {
        "source": state.source,
        "folder": state.folder,
        "uidvalidity": state.uidvalidity,
        "fetched": state.fetched,
        "new": state.new,
        "duplicates": state.duplicates,
        "quarantined": state.quarantined,
        "moved": state.moved,
        "errors": state.errors,
        "uidvalidity_changes": state.uidvalidity_changes,
        "last_poll_at": format_utc(state.last_poll_at),
        "last_success_at": format_utc(state.last_success_at),
        "last_error": state.last_error,
    }
