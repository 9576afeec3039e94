"""GET /healthz (database reachable, last poll age) and GET /metrics (Prometheus, names abusebox_*)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from abusebox.store import reporting
from abusebox.store.db import Database
from abusebox.store.mailbox import source_states
from abusebox.web.auth import ctx


class DeskCollector(Collector):
    """Read at scrape time from the database: grouped counts, a few statements per scrape."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        with self.db.session() as session:
            verdicts = reporting.verdict_counts(session)
            statuses = reporting.message_status_counts(session)
            states = reporting.state_counts(session)
            sources = source_states(session)
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
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "fail", "database": "unreachable", "detail": type(exc).__name__}, 503)
    now = datetime.now(UTC)
    polls = {
        s.source: None if s.last_success_at is None else round((now - s.last_success_at).total_seconds())
        for s in sources
    }
    return JSONResponse({"status": "ok", "database": "ok", "last_poll_age_seconds": polls})


def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.registry
    try:
        body = generate_latest(registry)
    except SQLAlchemyError:
        return Response("database unreachable\n", status_code=503, media_type="text/plain")
    return Response(body, media_type=CONTENT_TYPE_LATEST)


routes = [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]
