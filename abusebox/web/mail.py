"""The mail queues: GET /messages (verdict, status), one message, raw download, reclassify, replay."""

from __future__ import annotations

from typing import get_args
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from abusebox.core.models import VERDICTS, MessageStatus
from abusebox.desk.body import message_body
from abusebox.desk.messages import message_view
from abusebox.desk.reclassify import DESK_VERDICTS, reclassify
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store import messages as message_store
from abusebox.store.raw import RawUnavailable, read_raw
from abusebox.web.auth import checked_form, ctx, require
from abusebox.web.render import page
from abusebox.web.security import REPORT_HTML_CSP

STATUSES: tuple[str, ...] = get_args(MessageStatus)


def messages_page(request: Request) -> Response:
    require(request)
    verdict = request.query_params.get("verdict") or None
    status = request.query_params.get("status") or None
    verdict = verdict if verdict in VERDICTS else None
    status = status if status in STATUSES else None
    size = ctx(request).settings.web.page_size
    try:
        pageno = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        pageno = 1
    with ctx(request).db.session() as session:
        rows = message_store.list_messages(
            session, status=status, verdict=verdict, limit=size + 1, offset=(pageno - 1) * size
        )
    params = {k: v for k, v in (("verdict", verdict), ("status", status)) if v}
    return page(
        request,
        "messages.html",
        rows=rows[:size],
        more=len(rows) > size,
        pageno=pageno,
        verdict=verdict,
        status=status,
        verdicts=VERDICTS,
        statuses=STATUSES,
        desk_verdicts=DESK_VERDICTS,
        link=lambda **kw: "/messages?" + urlencode({**params, **{k: str(v) for k, v in kw.items()}}),
        notice=request.query_params.get("notice"),
    )


def message_page(request: Request) -> Response:
    require(request)
    pk = request.path_params["id"]
    with ctx(request).db.session() as session:
        view = message_view(session, pk)
        body = message_body(ctx(request).settings, session, pk) if view is not None else None
    if view is None:
        return page(request, "error.html", status_code=404, message="not_found")
    request.state.frame_self = body is not None and body.html is not None
    return page(
        request,
        "message.html",
        view=view,
        body=body,
        data=view.as_json(),
        desk_verdicts=DESK_VERDICTS,
        notice=request.query_params.get("notice"),
    )


def report_html(request: Request) -> Response:
    """The cleaned HTML of an HTML-only message, for the sandboxed frame on its page."""
    require(request, "viewer", "report_html")
    pk = request.path_params["id"]
    with ctx(request).db.session() as session:
        body = message_body(ctx(request).settings, session, pk)
    if body is None or body.html is None:
        return Response("not found\n", status_code=404, media_type="text/plain")
    document = f'<!doctype html><html><head><meta charset="utf-8"></head><body>{body.html}</body></html>'
    return HTMLResponse(
        document,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": REPORT_HTML_CSP, "X-Frame-Options": "SAMEORIGIN"},
    )


def raw_download(request: Request) -> Response:
    """The evidence bytes, always as an attachment with a name of our own (never rendered)."""
    require(request, "viewer", "raw")
    pk = request.path_params["id"]
    with ctx(request).db.session() as session:
        try:
            data = read_raw(ctx(request).settings, session, pk)
        except KeyError:
            return page(request, "error.html", status_code=404, message="not_found")
        except RawUnavailable as exc:
            return page(request, "error.html", status_code=410, message=str(exc))
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="message-{pk}.eml"'},
    )


def _back(pk: int, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/messages/{pk}?{urlencode({'notice': notice[:1500]})}", status_code=303)


async def reclassify_post(request: Request) -> Response:
    pk = request.path_params["id"]
    form = await checked_form(request)
    user = require(request, "handler", "reclassify", f"message {pk}")
    verdict = str(form.get("verdict") or "")
    note = str(form.get("note") or "")[:2000] or None
    if verdict not in DESK_VERDICTS:
        return _back(pk, f"unknown verdict {verdict!r}")
    settings, db = ctx(request).settings, ctx(request).db

    def run() -> str:
        with AnalyzerPool(settings, processes=1) as pool:
            pipeline = Pipeline(settings, db, pool)
            with db.session() as session:
                result = reclassify(session, pipeline, pk, verdict, user.name, note)
        return f"{result.previous or '-'} -> {result.verdict}"

    try:
        notice = await run_in_threadpool(run)
    except KeyError:
        return page(request, "error.html", status_code=404, message="not_found")
    except ValueError as exc:
        notice = str(exc)
    return _back(pk, notice)


async def replay_post(request: Request) -> Response:
    pk = request.path_params["id"]
    await checked_form(request)
    require(request, "handler", "replay", f"message {pk}")
    settings, db = ctx(request).settings, ctx(request).db
    with db.session() as session:
        if message_store.get_message(session, pk) is None:
            return page(request, "error.html", status_code=404, message="not_found")

    def run() -> str:
        with AnalyzerPool(settings, processes=1) as pool:
            results = list(Pipeline(settings, db, pool).replay([pk]))
        return ", ".join(f"{r.outcome}" + (f": {r.reason}" if r.reason else "") for r in results) or "done"

    return _back(pk, await run_in_threadpool(run))


routes = [
    Route("/messages", messages_page, methods=["GET"]),
    Route("/messages/{id:int}", message_page, methods=["GET"]),
    Route("/messages/{id:int}/raw", raw_download, methods=["GET"]),
    Route("/messages/{id:int}/html", report_html, methods=["GET"]),
    Route("/messages/{id:int}/reclassify", reclassify_post, methods=["POST"]),
    Route("/messages/{id:int}/replay", replay_post, methods=["POST"]),
]
