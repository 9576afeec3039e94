"""GET/POST /login, POST /logout, POST /settings/language."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from abusebox.store import users as user_store
from abusebox.web import sessions
from abusebox.web.accounts import authenticate
from abusebox.web.auth import audit_event, checked_form, client_address, ctx, page_user, require
from abusebox.web.i18n import LANGUAGES
from abusebox.web.render import page


def _safe_next(value: object) -> str:
    """Only a path on this site (no //host, no scheme): no open redirect."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return "/" if parts.scheme or parts.netloc else value


def login_form(request: Request) -> Response:
    return page(request, "login.html", error=None, next=_safe_next(request.query_params.get("next")))


async def login_post(request: Request) -> Response:
    form = await checked_form(request)
    name = str(form.get("username") or "")[:100]
    password = str(form.get("password") or "")[:1024]
    nxt = _safe_next(form.get("next"))
    address = client_address(request)
    throttle = ctx(request).throttle
    if throttle.blocked(name, address):
        audit_event(request, name or "-", "login_throttled")
        return page(request, "login.html", status_code=429, error="login_throttled", next=nxt)
    with ctx(request).db.session() as session:
        user = authenticate(session, name, password)
    if user is None:
        throttle.failed(name, address)
        audit_event(request, name or "-", "login_failed")
        return page(request, "login.html", status_code=401, error="login_failed", next=nxt)
    throttle.succeeded(name)
    audit_event(request, user.name, "login")
    sessions.start(request, user.pk)
    return RedirectResponse(nxt, status_code=303)


async def logout(request: Request) -> Response:
    await checked_form(request)
    user = page_user(request)
    if user is not None:
        audit_event(request, user.name, "logout")
    sessions.end(request)
    return RedirectResponse("/login", status_code=303)


async def set_language(request: Request) -> Response:
    form = await checked_form(request)
    lang = form.get("lang")
    if lang not in LANGUAGES:
        lang = None
    user = page_user(request)
    sessions.set_value(request, "lang", lang)
    if user is not None:
        with ctx(request).db.session() as session:
            user_store.set_language(session, user.pk, lang if isinstance(lang, str) else None)
    return RedirectResponse(_safe_next(form.get("next")), status_code=303)


def whoami(request: Request) -> Response:
    user = require(request)
    return page(request, "account.html", account=user)


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login_post, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/settings/language", set_language, methods=["POST"]),
    Route("/account", whoami, methods=["GET"]),
]
