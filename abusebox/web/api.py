"""The JSON API under /api/v1/: Bearer tokens, the same role checks and shapes as the CLI's --json."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from abusebox.core.models import VERDICTS
from abusebox.desk.incidents import detail_json, summary_json
from abusebox.desk.messages import summary_json as message_json
from abusebox.incidents import lifecycle
from abusebox.store import incidents as incident_store
from abusebox.store import messages as message_store
from abusebox.store import queue
from abusebox.web.auth import ctx, require_api
from abusebox.web.filters import parse_queue
from abusebox.web.mail import STATUSES
from abusebox.web.openapi import SCHEMA


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _limit(request: Request, default: int, most: int) -> int:
    try:
        return max(1, min(int(request.query_params.get("limit") or default), most))
    except ValueError:
        return default


def incidents(request: Request) -> Response:
    require_api(request)
    q = parse_queue(request.query_params)
    if q.errors:
        return _error(400, "; ".join(q.errors))
    limit = _limit(request, 200, 1000)
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
            limit=limit,
            offset=(q.page - 1) * limit,
        )
    return JSONResponse(
        [summary_json(i) for i in result.incidents], headers={"X-Total-Count": str(result.total)}
    )


def incident(request: Request) -> Response:
    require_api(request)
    with ctx(request).db.session() as session:
        detail = incident_store.get_incident(session, request.path_params["id"])
    if detail is None:
        return _error(404, "no such incident")
    return JSONResponse(detail_json(detail))


async def set_state(request: Request) -> Response:
    pk = request.path_params["id"]
    user = require_api(request, "handler", "set_state", f"incident {pk}")
    try:
        body: Any = json.loads(await request.body())
    except ValueError:
        return _error(400, "the body must be JSON")
    if not isinstance(body, dict) or not isinstance(body.get("state"), str):
        return _error(400, 'expected {"state": ..., "note": ...}')
    note = body.get("note")
    record = lifecycle.ClosingRecord(
        *(
            body.get(k) if isinstance(body.get(k), str) else None
            for k in ("cause", "recovery", "prevention", "lessons")
        )
    )
    reason = body.get("reason") if isinstance(body.get("reason"), str) else None
    try:
        await run_in_threadpool(
            lifecycle.set_state,
            ctx(request).db,
            pk,
            body["state"],
            user.name,
            note=note if isinstance(note, str) else None,
            reason=reason,
            record=record,
        )
    except lifecycle.LifecycleError as exc:
        with ctx(request).db.session() as session:
            missing = incident_store.incident_row(session, pk) is None
        return _error(404 if missing else 409, str(exc))
    with ctx(request).db.session() as session:
        detail = incident_store.get_incident(session, pk)
    assert detail is not None
    return JSONResponse(detail_json(detail))


def messages(request: Request) -> Response:
    require_api(request)
    verdict = request.query_params.get("verdict") or None
    status = request.query_params.get("status") or None
    if verdict and verdict not in VERDICTS:
        return _error(400, f"unknown verdict {verdict!r}")
    if status and status not in STATUSES:
        return _error(400, f"unknown status {status!r}")
    limit = _limit(request, 100, 1000)
    with ctx(request).db.session() as session:
        rows = message_store.list_messages(session, status=status, verdict=verdict, limit=limit)
    return JSONResponse([message_json(r) for r in rows])


def openapi(request: Request) -> Response:
    return JSONResponse(SCHEMA)


routes = [
    Route("/api/v1/openapi.json", openapi, methods=["GET"]),
    Route("/api/v1/incidents", incidents, methods=["GET"]),
    Route("/api/v1/incidents/{id:int}", incident, methods=["GET"]),
    Route("/api/v1/incidents/{id:int}/state", set_state, methods=["POST"]),
    Route("/api/v1/messages", messages, methods=["GET"]),
]
