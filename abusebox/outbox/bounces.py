"""Delivery status notifications (RFC 3464) about our own mail: which outbox row, and what happened.

A DSN is ``multipart/report; report-type=delivery-status`` with a ``message/delivery-status``
part (one block per message, then one per recipient: ``Final-Recipient``, ``Action``,
``Status``, ``Diagnostic-Code``) and the original as ``message/rfc822`` or
``text/rfc822-headers``, whose Message-ID names the outbox row. Only the bytes are read
here (the stdlib's compat32 parser, bounded); the store and the timeline are
correspondence.py's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

from abusebox.outbox.compose import one_line, safe_msgid

MAX_RECIPIENTS = 50
_STATUS = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")


@dataclass(frozen=True)
class DsnRecipient:
    address: str  # Final-Recipient (or Original-Recipient), lower case, without "rfc822;"
    action: str  # failed | delayed | delivered | relayed | expanded
    status: str  # 5.1.1
    diagnostic: str  # Diagnostic-Code, one line

    @property
    def permanent(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")

    def describe(self) -> str:
        text = f"{self.status} {self.address or '(recipient not named)'}"
        return f"{text}: {self.diagnostic}" if self.diagnostic else text


@dataclass(frozen=True)
class Dsn:
    original_message_id: str | None
    recipients: list[DsnRecipient]

    @property
    def failed(self) -> list[DsnRecipient]:
        return [r for r in self.recipients if r.permanent]

    def describe(self) -> str:
        shown = [r for r in self.recipients if r.action in ("failed", "delayed")] or self.recipients
        text = "; ".join(f"{r.action} {r.describe()}" for r in shown[:5])
        return one_line(text or "delivery status notification without recipient fields", 900)


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    return one_line(str(value), 400) if value is not None else ""


def _address(block: Message) -> str:
    for name in ("Final-Recipient", "Original-Recipient"):
        value = _field(block, name)
        if value:
            kind, sep, address = value.partition(";")
            return (address if sep else kind).strip().strip("<>").lower()
    return ""


def _recipients(part: Message) -> list[DsnRecipient]:
    payload = part.get_payload()
    blocks = [b for b in payload if isinstance(b, Message)] if isinstance(payload, list) else []
    if not blocks and isinstance(payload, str):  # not parsed into blocks: parse them here
        blocks = [HeaderParser(policy=compat32).parsestr(c) for c in re.split(r"\r?\n\r?\n", payload)]
    out: list[DsnRecipient] = []
    for block in blocks[: MAX_RECIPIENTS + 1]:
        action = _field(block, "Action").lower()
        if not action:  # the per-message block (Reporting-MTA, Arrival-Date)
            continue
        status = _STATUS.search(_field(block, "Status"))
        out.append(
            DsnRecipient(
                _address(block),
                action.split()[0],
                status.group() if status else "",
                _field(block, "Diagnostic-Code"),
            )
        )
    return out[:MAX_RECIPIENTS]


def _original_id(part: Message) -> str | None:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        return safe_msgid(str(inner.get("Message-ID", ""))) if isinstance(inner, Message) else None
    data = part.get_payload(decode=True)
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
    headers = HeaderParser(policy=compat32).parsestr(text, headersonly=True)
    return safe_msgid(str(headers.get("Message-ID", "")))


def parse_dsn(raw: bytes) -> Dsn | None:
    """The DSN in ``raw``, or None when it is not ``multipart/report; report-type=delivery-status``."""
    msg = message_from_bytes(raw, policy=compat32)
    if msg.get_content_type() != "multipart/report":
        return None
    if str(msg.get_param("report-type", "")).lower() != "delivery-status":
        return None
    recipients: list[DsnRecipient] = []
    original: str | None = None
    parts = msg.get_payload()
    for part in parts[:20] if isinstance(parts, list) else []:
        if not isinstance(part, Message):
            continue
        ctype = part.get_content_type()
        if ctype == "message/delivery-status" and not recipients:
            recipients = _recipients(part)
        elif ctype in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _original_id(part)
    return Dsn(original, recipients)
