"""The incident queue and one incident: GET /incidents, /incidents/{id}, state, assign, bulk, export."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from abusebox.core.models import CATEGORIES
from abusebox.core.taxonomy import taxonomy
from abusebox.desk.export import ExportError, export_incident
from abusebox.desk.incidents import detail_json
from abusebox.desk.messages import message_view
from abusebox.incidents import handling, lifecycle
from abusebox.store import incidents as incident_store
from abusebox.store import outbox as outbox_store
from abusebox.store import queue
from abusebox.web.auth import checked_form, ctx, require
from abusebox.web.filters import parse_queue
from abusebox.web.render import page


def queue_page(request: Request) -> Response:
    require(request)
    q = parse_queue(request.query_params)
    size = ctx(request).settings.web.page_size
    with ctx(request).db.session() as session:
        result = queue.query_incidents(
            session,
            state=q.state,
            category=q.category,
            owner=q.owner,
            ip=q.ip,
            cidr=q.cidr,
            forwarded_to=q.forwarded_to,
            sort=q.sort,
            limit=size,
            offset=(q.page - 1) * size,
        )
        targets = queue.forward_targets(session)
    pages = max(1, (result.total + size - 1) // size)
    return page(
        request,
        "incidents.html",
        q=q,
        result=result,
        pages=pages,
        link=lambda **kw: "/incidents?" + urlencode(q.params(**kw)),
        states=lifecycle.STATES,
        categories=CATEGORIES,
        sorts=list(queue.SORTS),
        forward_targets=targets,
        reject_reasons=lifecycle.REJECT_REASONS,
        notice=request.query_params.get("notice"),
    )


def incident_page(request: Request) -> Response:
    require(request)
    pk = request.path_params["id"]
    with ctx(request).db.session() as session:
        detail = incident_store.get_incident(session, pk)
        if detail is None:
            return page(request, "error.html", status_code=404, message="not_found")
        message_pks = sorted({o.message_pk for o in detail.observations})[:200]
        views = [v for v in (message_view(session, m) for m in message_pks) if v is not None]
        outbox_pks = [
            e.detail["outbox"]
            for e in detail.events
            if e.action == "outbox_created" and isinstance(e.detail.get("outbox"), int)
        ]
        outbox_rows = outbox_store.get_many(session, outbox_pks)
    data = detail_json(detail)
    return page(
        request,
        "incident.html",
        incident=detail,
        data=data,
        rsit=taxonomy(detail.category),
        reports=views,
        outbox_rows=outbox_rows,
        states=sorted(lifecycle.TRANSITIONS.get(detail.state, ())),
        reject_reasons=lifecycle.REJECT_REASONS,
        causes=lifecycle.CAUSES,
        error=request.query_params.get("error"),
        notice=request.query_params.get("notice"),
    )


def _back(pk: int, **query: str) -> RedirectResponse:
    suffix = ("?" + urlencode(query)) if query else ""
    return RedirectResponse(f"/incidents/{pk}{suffix}", status_code=303)


def _text(value: object, limit: int = 10_000) -> str | None:
    return str(value)[:limit].strip() or None if isinstance(value, str) else None


async def set_state(request: Request) -> Response:
    pk = request.path_params["id"]
    form = await checked_form(request)
    user = require(request, "handler", "set_state", f"incident {pk}")
    record = lifecycle.ClosingRecord(
        _text(form.get("cause"), 40),
        _text(form.get("recovery")),
        _text(form.get("prevention")),
        _text(form.get("lessons")),
    )
    try:
        await run_in_threadpool(
            lifecycle.set_state,
            ctx(request).db,
            pk,
            str(form.get("state") or ""),
            user.name,
            note=_text(form.get("note")),
            reason=_text(form.get("reason"), 40),
            record=record,
        )
    except lifecycle.LifecycleError as exc:
        return _back(pk, error=str(exc))
    return _back(pk, notice="done")


async def assign(request: Request) -> Response:
    pk = request.path_params["id"]
    form = await checked_form(request)
    user = require(request, "handler", "assign", f"incident {pk}")
    assignee = _text(form.get("assignee"), 200) or user.name
    try:
        await run_in_threadpool(lifecycle.assign, ctx(request).db, pk, assignee, user.name)
    except lifecycle.LifecycleError as exc:
        return _back(pk, error=str(exc))
    return _back(pk, notice="done")


async def bulk(request: Request) -> Response:
    """Set state, assign or merge the selected incidents of a queue page."""
    form = await checked_form(request)
    action = str(form.get("action") or "")
    user = require(request, "handler", f"bulk_{action}", "incidents")
    ids: list[int] = []
    for value in form.getlist("ids"):
        if isinstance(value, str) and value.isdigit():
            ids.append(int(value))
    ids = sorted(set(ids))[:500]
    db = ctx(request).db
    errors: list[str] = []

    def run() -> None:
        if action == "merge":
            if len(ids) < 2:
                errors.append("merge needs two or more incidents")
                return
            try:
                handling.merge(db, ids[0], ids[1:], user.name, ctx(request).settings.lifecycle)
            except (handling.HandlingError, lifecycle.LifecycleError) as exc:
                errors.append(str(exc))
            return
        for pk in ids:
            try:
                if action == "state":
                    lifecycle.set_state(
                        db,
                        pk,
                        str(form.get("state") or ""),
                        user.name,
                        note=_text(form.get("note")),
                        reason=_text(form.get("reason"), 40),
                    )
                elif action == "assign":
                    lifecycle.assign(db, pk, _text(form.get("assignee"), 200) or user.name, user.name)
                else:
                    errors.append(f"unknown action {action!r}")
                    return
            except lifecycle.LifecycleError as exc:
                errors.append(str(exc))

    await run_in_threadpool(run)
    back = _text(form.get("back"), 2000) or "/incidents"
    if not back.startswith("/incidents") or back.startswith("//"):
        back = "/incidents"
    notice = "; ".join(errors)[:1500] if errors else "done"
    sep = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{sep}{urlencode({'notice': notice})}", status_code=303)


def export(request: Request) -> Response:
    require(request, "viewer", "export")
    pk = request.path_params["id"]
    with tempfile.TemporaryDirectory(prefix="abusebox-export-") as tmp:
        out = Path(tmp) / f"incident-{pk}.zip"
        try:
            export_incident(ctx(request).settings, ctx(request).db, pk, out)
        except ExportError:
            return page(request, "error.html", status_code=404, message="not_found")
        data = out.read_bytes()
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="incident-{pk}.zip"'},
    )


routes = [
    Route("/incidents", queue_page, methods=["GET"]),
    Route("/incidents/bulk", bulk, methods=["POST"]),
    Route("/incidents/{id:int}", incident_page, methods=["GET"]),
    Route("/incidents/{id:int}/state", set_state, methods=["POST"]),
    Route("/incidents/{id:int}/assign", assign, methods=["POST"]),
    Route("/incidents/{id:int}/export.zip", export, methods=["GET"]),
]
