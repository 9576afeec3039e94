"""GET / (dashboard), GET /search?q=, GET /stats (HTML, SVG charts) and /stats.csv."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from abusebox.desk.dashboard import dashboard
from abusebox.desk.search import search
from abusebox.desk.stats import stats
from abusebox.web.auth import ctx, require
from abusebox.web.charts import stacked_bars
from abusebox.web.render import page


def dashboard_page(request: Request) -> Response:
    require(request)
    with ctx(request).db.session() as session:
        board = dashboard(session)
    chart = stacked_bars(
        board.days,
        {c: [board.per_day[c].get(d, 0) for d in board.days] for c in board.categories},
        title="reports per day",
    )
    return page(request, "dashboard.html", board=board, chart=chart)


def search_page(request: Request) -> Response:
    require(request)
    q = request.query_params.get("q") or ""
    with ctx(request).db.session() as session:
        result = search(session, q)
    return page(request, "search.html", q=q, result=result)


def stats_page(request: Request) -> Response:
    require(request)
    with ctx(request).db.session() as session:
        data = stats(session)
    months = data.months[-24:]
    monthly = stacked_bars(
        [p.label for p in months],
        {c: [p.incidents.get(c, 0) for p in months] for c in data.categories},
        title="incidents per month",
    )
    quarterly = stacked_bars(
        [p.label for p in data.quarters],
        {
            "reports": [p.reports for p in data.quarters],
            "coordinated": [p.coordinated for p in data.quarters],
        },
        title="reports and coordinated per quarter",
    )
    return page(request, "stats.html", stats=data, monthly=monthly, quarterly=quarterly)


def stats_csv(request: Request) -> Response:
    require(request)
    with ctx(request).db.session() as session:
        data = stats(session)
    return Response(
        data.csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="abusebox-stats.csv"'},
    )
