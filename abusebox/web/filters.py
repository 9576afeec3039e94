"""The queue's query parameters, read once for the page and the API alike."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from starlette.datastructures import QueryParams

from abusebox.core.models import CATEGORIES
from abusebox.incidents.lifecycle import STATES
from abusebox.store.queue import SORTS


@dataclass(frozen=True)
class QueueQuery:
    state: str | None = None
    category: str | None = None
    owner: str | None = None
    ip: str | None = None
    cidr: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    sort: str = "last_seen"
    page: int = 1
    forwarded_to: str | None = None  # a [[forward]] rule name or a recipient address
    errors: tuple[str, ...] = ()

    def params(self, **override: object) -> dict[str, str]:
        """The query string of this query (for links to other pages and sorts)."""
        values: dict[str, object] = {
            "state": self.state,
            "category": self.category,
            "owner": self.owner,
            "ip": self.ip,
            "cidr": str(self.cidr) if self.cidr else None,
            "sort": self.sort if self.sort != "last_seen" else None,
            "page": self.page if self.page != 1 else None,
            "forwarded_to": self.forwarded_to,
        }
        values.update(override)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def parse_queue(query: QueryParams) -> QueueQuery:
    errors: list[str] = []
    state = query.get("state") or None
    if state and state not in STATES:
        errors.append(f"unknown state {state!r}")
        state = None
    category = query.get("category") or None
    if category and category not in CATEGORIES:
        errors.append(f"unknown category {category!r}")
        category = None
    ip = (query.get("ip") or "").strip() or None
    if ip:
        try:
            ip = ipaddress.ip_address(ip).compressed
        except ValueError:
            errors.append(f"not an IP address: {ip!r}")
            ip = None
    cidr_text = (query.get("cidr") or "").strip()
    cidr = None
    if cidr_text:
        try:
            cidr = ipaddress.ip_network(cidr_text, strict=False)
        except ValueError:
            errors.append(f"not a CIDR: {cidr_text!r}")
    sort = query.get("sort") or "last_seen"
    if sort not in SORTS:
        errors.append(f"unknown sort {sort!r}")
        sort = "last_seen"
    try:
        page = max(1, min(int(query.get("page") or 1), 1_000_000))
    except ValueError:
        page = 1
    owner = (query.get("owner") or "").strip()[:200] or None
    forwarded_to = (query.get("forwarded_to") or "").strip()[:320] or None
    return QueueQuery(
        state, category, owner, ip, cidr, sort, page, errors=tuple(errors), forwarded_to=forwarded_to
    )
