"""GET /healthz (database reachable, leader known, last poll age) and GET /metrics (Prometheus).

The worker may run in another process than the server, so everything is read from the
database at each request: counts, the leader's heartbeat row, and delays derived from
stored timestamps (received, report written, processed, sent).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeHistogramMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from abusebox.store import heartbeat, reporting
from abusebox.store.db import Database
from abusebox.store.mailbox import source_states
from abusebox.web.auth import ctx

# Histogram buckets (seconds): people's delays (ack, notify) and the machine's (analysis, commit).
_HUMAN = (60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 12 * 3600.0, 86400.0, 3 * 86400.0, 7 * 86400.0)
_MACHINE = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 3600.0)
DELAY_WINDOW = timedelta(hours=24)
HISTOGRAMS = {
    "acknowledge": (
        "abusebox_time_to_acknowledge_seconds",
        "Report received to its acknowledgement sent",
        _HUMAN,
    ),
    "notify": ("abusebox_time_to_notify_seconds", "Incident opened to its owner notification sent", _HUMAN),
    "analysis": (
        "abusebox_analysis_seconds",
        "Message stored to its report written (queue and analysis)",
        _MACHINE,
    ),
    "commit": (
        "abusebox_commit_seconds",
        "Report written to its message marked processed (one commit)",
        _MACHINE,
    ),
}


def delay_histogram(
    name: str, doc: str, bounds: tuple[float, ...], values: list[float]
) -> GaugeHistogramMetricFamily:
    """The items finished in the last DELAY_WINDOW as a gauge histogram (it can go down)."""
    buckets = [(repr(b), sum(1 for v in values if v <= b)) for b in bounds]
    buckets.append(("+Inf", len(values)))
    return GaugeHistogramMetricFamily(
        name, f"{doc}; items finished in the last 24 h", buckets=buckets, gsum_value=sum(values)
    )


class DeskCollector(Collector):
    """Read at scrape time from the database: grouped counts, a few statements per scrape."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | GaugeHistogramMetricFamily]:
        with self.db.session() as session:
            verdicts = reporting.verdict_counts(session)
            statuses = reporting.message_status_counts(session)
            states = reporting.state_counts(session)
            sources = source_states(session)
            since = datetime.now(UTC) - DELAY_WINDOW
            delays = {kind: reporting.delays(session, kind, since) for kind in HISTOGRAMS}
        for kind, (name, doc, bounds) in HISTOGRAMS.items():
            yield delay_histogram(name, doc, bounds, delays[kind])
        g = GaugeMetricFamily(
            "abusebox_messages_by_verdict", "Analysed messages by verdict", labels=["verdict"]
        )
        for k, v in sorted(verdicts.items()):
            g.add_metric([k], v)
        yield g
        g = GaugeMetricFamily(
            "abusebox_messages_by_status", "Stored messages by ledger status", labels=["status"]
        )
        for k, v in sorted(statuses.items()):
            g.add_metric([k], v)
        yield g
        yield GaugeMetricFamily(
            "abusebox_messages_quarantined", "Messages quarantined", value=statuses.get("quarantined", 0)
        )
        g = GaugeMetricFamily("abusebox_incidents_by_state", "Live incidents by state", labels=["state"])
        for k, v in sorted(states.items()):
            g.add_metric([k], v)
        yield g
        c = CounterMetricFamily("abusebox_poll_errors", "Failed polls per source", labels=["source"])
        age = GaugeMetricFamily(
            "abusebox_last_poll_success_age_seconds",
            "Seconds since a source's last good poll",
            labels=["source"],
        )
        now = datetime.now(UTC)
        for s in sources:
            c.add_metric([s.source], s.errors)
            if s.last_success_at is not None:
                age.add_metric([s.source], (now - s.last_success_at).total_seconds())
        yield c
        yield age


def registry_for(db: Database) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeskCollector(db))
    return registry


def healthz(request: Request) -> Response:
    try:
        with ctx(request).db.session() as session:
            reporting.ping(session)
            sources = source_states(session)
            beat = heartbeat.last_beat(session)
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "fail", "database": "unreachable", "detail": type(exc).__name__}, 503)
    now = datetime.now(UTC)
    polls = {
        s.source: None if s.last_success_at is None else round((now - s.last_success_at).total_seconds())
        for s in sources
    }
    age = None if beat is None else max(0.0, (now - beat.at).total_seconds())
    known = age is not None and age <= heartbeat.STALE_AFTER_SECONDS
    leader = {
        "known": known,
        "holder": beat.holder if beat is not None else None,
        "since": beat.since.strftime("%Y-%m-%dT%H:%M:%SZ") if beat is not None else None,
        "heartbeat_age_seconds": None if age is None else round(age),
    }
    # The server answers (200) without a leader: it may run alone (`abusebox serve`); the
    # status says that nothing polls, for a monitor to alert on.
    return JSONResponse(
        {
            "status": "ok" if known else "degraded",
            "database": "ok",
            "leader": leader,
            "last_poll_age_seconds": polls,
        }
    )


def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.registry
    try:
        body = generate_latest(registry)
    except SQLAlchemyError:
        return Response("database unreachable\n", status_code=503, media_type="text/plain")
    return Response(body, media_type=CONTENT_TYPE_LATEST)


routes = [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]
