"""Build test mails around report files (feeds, CSVs, JSON) with the stdlib email package."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime


def mail_with_attachment(
    payload: bytes,
    filename: str,
    *,
    sender: str = "reports@example.net",
    subject: str = "Report",
    body: str = "Please find the report attached.\n",
    maintype: str = "application",
    subtype: str = "octet-stream",
    date: datetime | None = None,
    extra: list[tuple[bytes, str]] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "abuse@example.jp"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2024, 1, 1, 9, 0, tzinfo=UTC))
    msg["Message-ID"] = f"<{abs(hash((filename, len(payload))))}@example.net>"
    msg.set_content(body)
    msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    for data, name in extra or []:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()
