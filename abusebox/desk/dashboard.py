"""The desk's dashboard: queue sizes by state, the last 30 days of reports, the oldest unhandled case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from abusebox.core.models import format_utc
from abusebox.incidents.lifecycle import STATES
from abusebox.store import outbox as outbox_store
from abusebox.store import reporting


@dataclass(frozen=True)
class Dashboard:
    states: dict[str, int]
    verdicts: dict[str, int]
    statuses: dict[str, int]
    days: list[str]
    per_day: dict[str, dict[str, int]]  # category -> day -> reports
    oldest: reporting.Oldest | None
    outbox_waiting: int | None = None  # outbox rows waiting for approval (status draft)
    categories: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "states": self.states,
            "verdicts": self.verdicts,
            "statuses": self.statuses,
            "reports_per_day": {c: [self.per_day[c].get(d, 0) for d in self.days] for c in self.categories},
            "days": self.days,
            "oldest_unhandled": None
            if self.oldest is None
            else {"id": self.oldest.pk, "first_seen": format_utc(self.oldest.first_seen)},
        }


def dashboard(session: Session, *, now: datetime | None = None, days: int = 30) -> Dashboard:
    now = now or datetime.now(UTC)
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    day_list = [(start + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(days)]
    per_day: dict[str, dict[str, int]] = {}
    for day, category, n in reporting.reports_per_day(session, start):
        per_day.setdefault(category, {})[day] = n
    counts = reporting.state_counts(session)
    return Dashboard(
        states={s: counts.get(s, 0) for s in STATES},
        verdicts=reporting.verdict_counts(session),
        statuses=reporting.message_status_counts(session),
        days=day_list,
        per_day=per_day,
        oldest=reporting.oldest_unhandled(session),
        outbox_waiting=outbox_store.count_status(session, "draft"),
        categories=sorted(per_day),
    )
