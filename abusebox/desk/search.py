"""One search box for the desk: an IP, a CIDR, an e-mail address, a ticket tag or a Message-ID."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from abusebox.store import queue
from abusebox.store.incidents import IncidentSummary
from abusebox.store.messages import MessageSummary

_TICKET = re.compile(r"^(?:#|inc-?|incident\s*#?)(\d{1,12})$", re.I)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True)
class SearchResult:
    query: str
    kind: str  # ip, cidr, email, ticket, message_id, text, empty
    incidents: list[IncidentSummary] = field(default_factory=list)
    messages: list[MessageSummary] = field(default_factory=list)
    total_incidents: int = 0


def classify(q: str) -> str:
    q = q.strip()
    if not q:
        return "empty"
    try:
        ipaddress.ip_address(q)
        return "ip"
    except ValueError:
        pass
    if "/" in q:
        try:
            ipaddress.ip_network(q, strict=False)
            return "cidr"
        except ValueError:
            pass
    if _TICKET.match(q):
        return "ticket"
    if q.startswith("<") and q.endswith(">") and "@" in q:
        return "message_id"
    if _EMAIL.match(q):
        return "email"
    return "text"


def search(session: Session, q: str, *, limit: int = 50) -> SearchResult:
    q = q.strip()[:500]
    kind = classify(q)
    if kind == "ip":
        ip = ipaddress.ip_address(q).compressed
        page = queue.query_incidents(session, ip=ip, limit=limit)
        return SearchResult(
            q, kind, page.incidents, queue.messages_matching(session, ip=ip, limit=limit), page.total
        )
    if kind == "cidr":
        page = queue.query_incidents(session, cidr=ipaddress.ip_network(q, strict=False), limit=limit)
        return SearchResult(q, kind, page.incidents, [], page.total)
    if kind == "ticket":
        match = _TICKET.match(q)
        assert match is not None
        page = queue.query_incidents(session, ids=[int(match.group(1))], limit=1)
        msgs = queue.messages_matching(session, subject_contains=q, limit=limit)
        return SearchResult(q, kind, page.incidents, msgs, page.total)
    if kind == "message_id":
        return SearchResult(q, kind, [], queue.messages_matching(session, message_id=q, limit=limit))
    if kind == "email":
        # An address can also be a Message-ID written without its angle brackets.
        msgs = queue.messages_matching(session, address=q, limit=limit) or queue.messages_matching(
            session, message_id=q, limit=limit
        )
        return SearchResult(q, kind, [], msgs)
    if kind == "text":
        # A ticket tag such as [JPCERT#12345678] or any other subject text.
        return SearchResult(q, kind, [], queue.messages_matching(session, subject_contains=q, limit=limit))
    return SearchResult(q, kind)
