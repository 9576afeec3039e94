"""One entry of a work log (message events, incident events), as the read queries return it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """Who did what, when, with the detail the action recorded."""

    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, row: Any) -> Event:
        """From a MessageEventRow or IncidentEventRow (the two logs share their columns)."""
        return cls(row.at, row.actor, row.action, row.detail)
