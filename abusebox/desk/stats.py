"""Statistics in the manner of JPCERT/CC's quarterly report: reports, incidents by category, coordinated."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy.orm import Session

from abusebox.store import reporting


@dataclass(frozen=True)
class Period:
    label: str  # 2026-11 or 2026-Q4
    reports: int
    incidents: dict[str, int]  # category -> incidents opened
    coordinated: int

    @property
    def incident_total(self) -> int:
        return sum(self.incidents.values())


@dataclass(frozen=True)
class Stats:
    months: list[Period]
    quarters: list[Period]
    categories: list[str]

    def csv(self) -> str:
        """Both tables as one CSV (period kind first); text cells cannot start a formula."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["period_kind", "period", "reports", "incidents", "coordinated", *self.categories])
        for kind, periods in (("month", self.months), ("quarter", self.quarters)):
            for p in periods:
                writer.writerow(
                    [kind, p.label, p.reports, p.incident_total, p.coordinated]
                    + [p.incidents.get(c, 0) for c in self.categories]
                )
        return out.getvalue()


def _quarter(month: str) -> str:
    year, mm = month.split("-")
    return f"{year}-Q{(int(mm) - 1) // 3 + 1}"


def _fold(periods: list[Period]) -> list[Period]:
    merged: dict[str, Period] = {}
    for p in periods:
        label = _quarter(p.label)
        old = merged.get(label)
        if old is None:
            merged[label] = Period(label, p.reports, dict(p.incidents), p.coordinated)
            continue
        incidents = dict(old.incidents)
        for c, n in p.incidents.items():
            incidents[c] = incidents.get(c, 0) + n
        merged[label] = Period(label, old.reports + p.reports, incidents, old.coordinated + p.coordinated)
    return [merged[k] for k in sorted(merged)]


def stats(session: Session) -> Stats:
    reports = reporting.reports_per_month(session)
    coordinated = reporting.coordinated_per_month(session)
    incidents: dict[str, dict[str, int]] = {}
    categories: set[str] = set()
    for month, category, n in reporting.incidents_per_month(session):
        incidents.setdefault(month, {})[category] = n
        categories.add(category)
    months = sorted(set(reports) | set(coordinated) | set(incidents))
    periods = [Period(m, reports.get(m, 0), incidents.get(m, {}), coordinated.get(m, 0)) for m in months]
    return Stats(periods, _fold(periods), sorted(categories))
