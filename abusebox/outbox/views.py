"""The outbox as the CLI and the web UI show it: stable JSON objects."""

from __future__ import annotations

from typing import Any

from abusebox.core.models import format_utc
from abusebox.store.outbox import OutboxItem


def item_json(item: OutboxItem) -> dict[str, Any]:
    """The `outbox list --json` object."""
    return {
        "id": item.id,
        "kind": item.kind,
        "status": item.status,
        "to": list(item.to),
        "subject": item.subject,
        "message_id": item.message_id,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "incidents": list(item.incidents),
        "created_at": format_utc(item.created_at),
        "sent_at": format_utc(item.sent_at),
    }


def detail_json(item: OutboxItem) -> dict[str, Any]:
    """`outbox show --json`: the list object plus who made and approved it, and the text."""
    return item_json(item) | {
        "reports": list(item.reports),
        "created_by": item.created_by,
        "approved_by": item.approved_by,
        "rule": item.rule,
        "language": item.language,
        "body": item.body,
    }
