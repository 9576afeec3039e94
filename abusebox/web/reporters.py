"""GET /reporters (who reports to us: counts, signatures, trust, acks) and /reporters/{address};
GET /api/v1/reporters (the list as JSON)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from abusebox.desk.reporters import reporter_detail, reporter_list, summary_json
from abusebox.web.auth import ctx, require, require_api
from abusebox.web.render import page


def _page_number(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("page") or 1), 100_000))
    except ValueError:
        return 1


def reporters_page(request: Request) -> Response:
    require(request)
    q = (request.query_params.get("q") or "").strip()[:320]
    size = ctx(request).settings.web.page_size
    pageno = _page_number(request)
    with ctx(request).db.session() as session:
        result = reporter_list(
            session, ctx(request).settings, contains=q or None, limit=size, offset=(pageno - 1) * size
        )
    pages = max(1, (result.total + size - 1) // size)
    params = {"q": q} if q else {}
    return page(
        request,
        "reporters.html",
        q=q,
        result=result,
        pageno=pageno,
        pages=pages,
        link=lambda **kw: "/reporters?" + urlencode({**params, **{k: str(v) for k, v in kw.items()}}),
    )


async def reporter_page(request: Request) -> Response:
    require(request)
    address = str(request.path_params["address"])
    settings, db = ctx(request).settings, ctx(request).db

    def load():  # type: ignore[no-untyped-def]
        with db.session() as session:
            return reporter_detail(session, settings, address)

    detail = await run_in_threadpool(load)  # runs gpg for the keyring's keys
    if detail is None:
        return page(request, "error.html", status_code=404, message="not_found")
    return page(request, "reporter.html", r=detail)


def reporters_api(request: Request) -> Response:
    require_api(request)
    q = (request.query_params.get("q") or "").strip()[:320]
    try:
        limit = max(1, min(int(request.query_params.get("limit") or 200), 1000))
    except ValueError:
        limit = 200
    with ctx(request).db.session() as session:
        result = reporter_list(
            session,
            ctx(request).settings,
            contains=q or None,
            limit=limit,
            offset=(_page_number(request) - 1) * limit,
        )
    return JSONResponse(
        [summary_json(r, trusted) for r, trusted in result.rows], headers={"X-Total-Count": str(result.total)}
    )


routes = [
    Route("/reporters", reporters_page, methods=["GET"]),
    Route("/reporters/{address}", reporter_page, methods=["GET"]),
    Route("/api/v1/reporters", reporters_api, methods=["GET"]),
]
