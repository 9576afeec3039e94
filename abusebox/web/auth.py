"""Who is asking and may they: session users for pages, Bearer tokens for the API, roles, CSRF, audit."""

from __future__ import annotations

import hmac

from starlette.datastructures import FormData
from starlette.requests import Request

from abusebox.store import audit
from abusebox.store import users as user_store
from abusebox.store.users import User
from abusebox.web import sessions
from abusebox.web.context import WebContext

ROLE_RANK = {"viewer": 0, "handler": 1, "admin": 2}


class NeedLogin(Exception):
    """A page asked for without a session: go to /login."""


class Unauthorized(Exception):
    """An API call without a valid token: 401."""


class Denied(Exception):
    """A known user (or a forged form) asked for what is not theirs: 403."""


def ctx(request: Request) -> WebContext:
    context: WebContext = request.app.state.ctx
    return context


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


def audit_event(
    request: Request, actor: str, action: str, target: str | None = None, **detail: object
) -> None:
    with ctx(request).db.session() as session:
        audit.record(
            session, actor, action, target=target, address=client_address(request), detail=dict(detail)
        )


def page_user(request: Request) -> User | None:
    """The signed-in, enabled user of this request (cached on the request)."""
    if hasattr(request.state, "user"):
        cached: User | None = request.state.user
        return cached
    pk = sessions.user_pk(request)
    user = None
    if pk is not None:
        with ctx(request).db.session() as session:
            user = user_store.get_user(session, pk)
        if user is not None and user.disabled:
            user = None
    request.state.user = user
    return user


def api_user(request: Request) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a Bearer token is needed")
    with ctx(request).db.session() as session:
        user = user_store.user_for_token(session, token.strip())
    if user is None:
        audit_event(request, "-", "api_token_refused", request.url.path)
        raise Unauthorized("unknown or disabled token")
    request.state.user = user
    return user


def allowed(user: User, role: str) -> bool:
    return ROLE_RANK.get(user.role, -1) >= ROLE_RANK[role]


def check_role(request: Request, user: User, role: str, action: str, target: str | None = None) -> None:
    if not allowed(user, role):
        audit_event(request, user.name, "denied", target, wanted=action, role=user.role, needs=role)
        raise Denied(action)


def require(request: Request, role: str = "viewer", action: str = "read", target: str | None = None) -> User:
    user = page_user(request)
    if user is None:
        raise NeedLogin()
    check_role(request, user, role, action, target)
    return user


def require_api(
    request: Request, role: str = "viewer", action: str = "read", target: str | None = None
) -> User:
    user = api_user(request)
    check_role(request, user, role, action, target)
    return user


async def checked_form(request: Request) -> FormData:
    """The posted form, once its csrf_token matches the session's; else Denied (audited)."""
    form = await request.form()
    given = form.get("csrf_token")
    if not isinstance(given, str) or not hmac.compare_digest(given, sessions.csrf_token(request)):
        user = page_user(request)
        audit_event(request, user.name if user else "-", "csrf_refused", request.url.path)
        raise Denied("csrf")
    return form
