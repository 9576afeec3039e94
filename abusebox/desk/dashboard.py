"""The desk's dashboard: queue sizes by state, the last 30 days of reports, the oldest unhandled case."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from abusebox.core.models import format_utc
from abusebox.incidents.lifecycle import STATES
from abusebox.store import outbox as outbox_store
from abusebox.store import reporting


@dataclass(frozen=True)
class Delay:
    """How long something took, over the items of a window: how many, median, 90th percentile."""

    count: int
    median: float | None
    p90: float | None

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "median_seconds": self.median, "p90_seconds": self.p90}


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank percentile ``q`` (0..1) of ``values``; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return round(ordered[rank - 1], 3)


def delay(values: list[float]) -> Delay:
    return Delay(len(values), percentile(values, 0.5), percentile(values, 0.9))


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
    time_to_acknowledge: Delay = Delay(0, None, None)  # report received -> ack sent, 30 days
    time_to_notify: Delay = Delay(0, None, None)  # incident opened -> owner notified, 30 days

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
            "time_to_acknowledge": self.time_to_acknowledge.as_json(),
            "time_to_notify": self.time_to_notify.as_json(),
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
        time_to_acknowledge=delay(reporting.delays(session, "acknowledge", now - timedelta(days=days))),
        time_to_notify=delay(reporting.delays(session, "notify", now - timedelta(days=days))),
    )
