"""GET /users (admin): the accounts and the audit log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from abusebox.store import audit
from abusebox.store import users as user_store
from abusebox.web.auth import ctx, require
from abusebox.web.render import page


def users_page(request: Request) -> Response:
    require(request, "admin", "users")
    with ctx(request).db.session() as session:
        accounts = user_store.list_users(session)
        log = audit.recent(session, limit=200)
    return page(request, "users.html", accounts=accounts, log=log)


routes = [Route("/users", users_page, methods=["GET"])]
