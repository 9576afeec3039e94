"""The Starlette application: routes, sessions, security headers, error pages."""

from __future__ import annotations

import os
import secrets

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from abusebox.core.config import ConfigError, Settings
from abusebox.store.db import Database
from abusebox.web import api, incidents, login, mail, ops, outbox, overview, reporters
from abusebox.web.accounts import dummy_hash
from abusebox.web.auth import Denied, NeedLogin, Unauthorized
from abusebox.web.context import STATIC_DIR, WebContext, template_env
from abusebox.web.render import page
from abusebox.web.security import SecurityHeaders
from abusebox.web.sessions import SessionMiddleware
from abusebox.web.throttle import LoginThrottle
from abusebox.web.users import routes as user_routes


def session_secret(settings: Settings) -> str:
    name = settings.web.secret_env
    if name:
        value = os.environ.get(name)
        if not value:
            raise ConfigError(f"web.secret_env: environment variable {name} is not set")
        return value
    return secrets.token_urlsafe(32)  # sessions end when the server restarts


async def _need_login(request: Request, exc: Exception) -> Response:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


async def _denied(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "forbidden"}, status_code=403)
    return page(request, "error.html", status_code=403, message="forbidden")


async def _unauthorized(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def create_app(settings: Settings, db: Database) -> Starlette:
    dummy_hash()  # made now, not in the first sign-in with an unknown name (it would take twice as long)
    routes = [
        Route("/", overview.dashboard_page, methods=["GET"]),
        Route("/search", overview.search_page, methods=["GET"]),
        Route("/stats", overview.stats_page, methods=["GET"]),
        Route("/stats.csv", overview.stats_csv, methods=["GET"]),
        *login.routes,
        *incidents.routes,
        *mail.routes,
        *outbox.routes,
        *reporters.routes,
        *user_routes,
        *api.routes,
        *ops.routes,
        Mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret=session_secret(settings),
                max_age_seconds=int(settings.web.session_hours * 3600),
            ),
        ],
        exception_handlers={NeedLogin: _need_login, Denied: _denied, Unauthorized: _unauthorized},
    )
    app.state.ctx = WebContext(
        settings,
        db,
        template_env(),
        LoginThrottle(db, settings.web.login_attempts, settings.web.login_window_seconds),
    )
    app.state.registry = ops.registry_for(db)
    return app
