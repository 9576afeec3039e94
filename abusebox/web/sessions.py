"""Signed session cookies: the signed-in user and the CSRF token, HttpOnly, SameSite=Lax, Secure on TLS."""

from __future__ import annotations

import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

COOKIE = "abusebox_session"


class SessionMiddleware(BaseHTTPMiddleware):
    """Reads the cookie into ``request.state.session``; writes it back when a handler changed it."""

    def __init__(self, app: ASGIApp, secret: str, max_age_seconds: int) -> None:
        super().__init__(app)
        self.serializer = URLSafeTimedSerializer(secret, salt="abusebox-session")
        self.max_age = max_age_seconds

    def _load(self, request: Request) -> dict[str, Any]:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data = self.serializer.loads(raw, max_age=self.max_age)
                if isinstance(data, dict) and isinstance(data.get("csrf"), str):
                    return data
            except BadSignature:
                pass
        return {}

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        session = self._load(request)
        changed = False
        if not session:
            session = {"csrf": secrets.token_urlsafe(32)}
            changed = True
        request.state.session = session
        request.state.session_changed = changed
        response = await call_next(request)
        if request.state.session_changed and not request.url.path.startswith(
            ("/api/", "/metrics", "/healthz")
        ):
            response.set_cookie(
                COOKIE,
                self.serializer.dumps(request.state.session),
                max_age=self.max_age,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path="/",
            )
        return response


def start(request: Request, user_pk: int) -> None:
    """A fresh session for a signed-in user: a new CSRF token (no fixation of the old one)."""
    request.state.session = {"csrf": secrets.token_urlsafe(32), "uid": user_pk}
    request.state.session_changed = True


def end(request: Request) -> None:
    request.state.session = {"csrf": secrets.token_urlsafe(32)}
    request.state.session_changed = True


def csrf_token(request: Request) -> str:
    return str(request.state.session["csrf"])


def user_pk(request: Request) -> int | None:
    value = request.state.session.get("uid")
    return value if isinstance(value, int) else None


def set_value(request: Request, key: str, value: Any) -> None:
    request.state.session[key] = value
    request.state.session_changed = True
