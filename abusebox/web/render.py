"""Rendering a page: the template, the user's language, the CSRF token and the CSP nonce."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from abusebox.web import sessions
from abusebox.web.auth import ctx, page_user
from abusebox.web.i18n import pick_language, translator


def language(request: Request) -> str:
    user = page_user(request)
    chosen = request.state.session.get("lang")
    return pick_language(
        (user.language if user else None) or (chosen if isinstance(chosen, str) else None),
        request.headers.get("accept-language"),
    )


def page(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    lang = language(request)
    html = (
        ctx(request)
        .env.get_template(template)
        .render(
            request=request,
            user=page_user(request),
            lang=lang,
            t=translator(lang),
            csrf_token=sessions.csrf_token(request),
            nonce=request.state.nonce,
            **values,
        )
    )
    return HTMLResponse(html, status_code=status_code, media_type="text/html; charset=utf-8")
