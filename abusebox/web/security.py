"""Response headers for every answer: a CSP with a per-response nonce, nosniff, no referrer leaks."""

from __future__ import annotations

import secrets

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response


def csp(nonce: str, frame_self: bool = False) -> str:
    """``frame_self``: the page embeds our own sandboxed HTML view (the message page)."""
    frames = "'self'" if frame_self else "'none'"
    return (
        "default-src 'none'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; "
        f"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; frame-src {frames}"
    )


# A report's own (cleaned) HTML: nothing runs, nothing loads, only our pages may frame it;
# ``sandbox`` applies even when the route is opened directly rather than in the frame.
REPORT_HTML_CSP = (
    "default-src 'none'; img-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        nonce = secrets.token_urlsafe(16)
        request.state.nonce = nonce
        response = await call_next(request)
        if "content-security-policy" not in response.headers:  # a route may set a stricter one
            response.headers["Content-Security-Policy"] = csp(
                nonce, frame_self=bool(getattr(request.state, "frame_self", False))
            )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
        ctype = response.headers.get("content-type", "")
        if ctype.startswith("text/") and "charset" not in ctype:
            response.headers["content-type"] = f"{ctype}; charset=utf-8"
        return response
