"""The outbox over HTTP: GET /outbox, approve/discard/send-now forms, and /api/v1/outbox.

The same read model (``outbox.views.item_json``), actions (``outbox.actions``) and sender
(``outbox.sender.send_pass``) as `abusebox outbox`; the actor is the signed-in user.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from abusebox.core.config import ConfigError
from abusebox.outbox import actions
from abusebox.outbox.sender import send_pass
from abusebox.outbox.views import item_json
from abusebox.store import outbox as outbox_store
from abusebox.store.db import Database
from abusebox.store.outbox import OutboxItem
from abusebox.web.auth import audit_event, checked_form, ctx, require, require_api
from abusebox.web.render import page

LIST_LIMIT = 500


def _filters(request: Request) -> tuple[str | None, str | None, list[str]]:
    status = request.query_params.get("status") or None
    kind = request.query_params.get("kind") or None
    errors = []
    if status is not None and status not in outbox_store.STATUSES:
        errors.append(f"unknown status {status!r}")
        status = None
    if kind is not None and kind not in outbox_store.KINDS:
        errors.append(f"unknown kind {kind!r}")
        kind = None
    return status, kind, errors


def _items(db: Database, status: str | None, kind: str | None, limit: int) -> list[OutboxItem]:
    with db.session() as session:
        return outbox_store.list_items(session, status=status, kind=kind, limit=limit)


def outbox_page(request: Request) -> Response:
    require(request)
    status, kind, errors = _filters(request)
    rows = _items(ctx(request).db, status, kind, LIST_LIMIT)
    return page(
        request,
        "outbox.html",
        rows=rows,
        status=status,
        kind=kind,
        statuses=outbox_store.STATUSES,
        kinds=outbox_store.KINDS,
        error="; ".join(errors) or request.query_params.get("error"),
        notice=request.query_params.get("notice"),
    )


def _back(form: FormData, **query: str) -> RedirectResponse:
    back = form.get("back")
    target = back if isinstance(back, str) else "/outbox"
    if not (target == "/outbox" or target.startswith(("/outbox?", "/incidents/"))) or "//" in target:
        target = "/outbox"
    target = target.split("?", 1)[0]
    return RedirectResponse(f"{target}?{urlencode(query)}", status_code=303)


def _act(db: Database, action: actions.Action, pk: int, actor: str) -> str | None:
    with db.session() as session:
        return action(session, pk, actor)


async def _row_action(request: Request, name: str, action: actions.Action) -> Response:
    pk = request.path_params["id"]
    form = await checked_form(request)
    user = require(request, "handler", f"outbox_{name}", f"outbox {pk}")
    problem = await run_in_threadpool(_act, ctx(request).db, action, pk, user.name)
    audit_event(request, user.name, f"outbox_{name}", f"outbox {pk}", problem=problem)
    return _back(form, error=problem) if problem else _back(form, notice="done")


async def approve(request: Request) -> Response:
    return await _row_action(request, "approve", actions.approve)


async def discard(request: Request) -> Response:
    return await _row_action(request, "discard", actions.discard)


async def send_now(request: Request) -> Response:
    """One delivery pass of every due approved row, as `abusebox outbox send`."""
    form = await checked_form(request)
    user = require(request, "handler", "outbox_send", "outbox")
    c = ctx(request)
    try:
        counts = await run_in_threadpool(send_pass, c.settings, c.db)
    except ConfigError as exc:
        audit_event(request, user.name, "outbox_send", "outbox", problem=str(exc))
        return _back(form, error=str(exc))
    audit_event(
        request,
        user.name,
        "outbox_send",
        "outbox",
        sent=counts.sent,
        failed=counts.failed,
        deferred=counts.deferred,
    )
    return _back(form, notice=counts.summary())


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def api_list(request: Request) -> Response:
    """As `abusebox outbox list --json` (``status``, ``kind``, ``limit`` as its flags)."""
    require_api(request)
    status, kind, errors = _filters(request)
    if errors:
        return _error(400, "; ".join(errors))
    try:
        limit = max(1, min(int(request.query_params.get("limit") or LIST_LIMIT), 5000))
    except ValueError:
        return _error(400, "limit must be a number")
    return JSONResponse([item_json(i) for i in _items(ctx(request).db, status, kind, limit)])


async def api_approve(request: Request) -> Response:
    pk = request.path_params["id"]
    user = require_api(request, "handler", "outbox_approve", f"outbox {pk}")
    db = ctx(request).db
    problem = await run_in_threadpool(_act, db, actions.approve, pk, user.name)
    audit_event(request, user.name, "outbox_approve", f"outbox {pk}", problem=problem)
    with db.session() as session:
        item = outbox_store.get(session, pk)
    if item is None:
        return _error(404, problem or "no such outbox mail")
    if problem:
        return _error(409, problem)
    return JSONResponse(item_json(item))


routes = [
    Route("/outbox", outbox_page, methods=["GET"]),
    Route("/outbox/send", send_now, methods=["POST"]),
    Route("/outbox/{id:int}/approve", approve, methods=["POST"]),
    Route("/outbox/{id:int}/discard", discard, methods=["POST"]),
    Route("/api/v1/outbox", api_list, methods=["GET"]),
    Route("/api/v1/outbox/{id:int}/approve", api_approve, methods=["POST"]),
]
