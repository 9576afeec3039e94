"""Ticket numbers and the subject tag that carries them (``[abusebox #2026-000123]``).

The number is the incident's year of opening and its id; the tag's shape comes from
``[mail] ticket_tag``. A reply whose subject carries a tag of ours is correspondence.
"""

from __future__ import annotations

import re
from datetime import datetime

from abusebox.core.mail_config import MailSettings


def ticket_number(incident_pk: int, created_at: datetime) -> str:
    return f"{created_at.year}-{incident_pk:06d}"


def tag_for(settings: MailSettings, ticket: str) -> str:
    return settings.ticket_tag.replace("{ticket}", ticket)


def tag_pattern(settings: MailSettings) -> re.Pattern[str]:
    before, _, after = settings.ticket_tag.partition("{ticket}")
    return re.compile(
        re.escape(before) + r"(?P<year>\d{4})-(?P<pk>\d{1,12})" + re.escape(after), re.IGNORECASE
    )


def tickets_in(subject: str, settings: MailSettings) -> list[tuple[int, int]]:
    """(year, incident pk) of every tag of ours in a subject."""
    return [(int(m["year"]), int(m["pk"])) for m in tag_pattern(settings).finditer(subject)]
