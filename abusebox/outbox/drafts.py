"""Render a notification for an incident from the templates in templates/mail/ (notify.*).

Step 3 of the response: contacting the owner of the network (ours: the constituency
owner's contacts) or its abuse contact. Evidence lines come from reporters, so the text
is plain, each line is cut short, and they are only ever template variables. The period
is that of the observations' own times; observations without a time are counted, not listed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from abusebox.core.config import Settings
from abusebox.core.models import format_utc
from abusebox.core.taxonomy import taxonomy
from abusebox.incidents.constituency import Constituency
from abusebox.outbox.templates import LANGUAGES, language_of, render
from abusebox.store.incidents import IncidentDetail

MAX_OBSERVATIONS = 30
MAX_EVIDENCE_CHARS = 300
DEFAULT_ZONE = "Asia/Tokyo"

CATEGORY_JA = {
    "scan": "ポートスキャン",
    "brute-force": "パスワード総当たり攻撃",
    "intrusion-attempt": "不正侵入の試み",
    "intrusion": "不正侵入",
    "dos": "DoS/DDoS 攻撃",
    "phishing": "フィッシングサイト",
    "malware": "マルウェア感染・配布",
    "vulnerable": "脆弱なサービスの公開",
    "spam": "迷惑メール送信",
    "fraud": "詐欺",
    "other": "不審な通信",
}

__all__ = ["CATEGORY_JA", "LANGUAGES", "Draft", "recipients", "render_notification"]


@dataclass(frozen=True)
class Draft:
    to: list[str]
    subject: str
    body: str
    language: str

    def as_text(self) -> str:
        return f"To: {', '.join(self.to) or '(no contact known)'}\nSubject: {self.subject}\n\n{self.body}"


def zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def local(value: datetime | None, where: tzinfo) -> str | None:
    return value.astimezone(where).strftime("%Y-%m-%d %H:%M:%S") if value else None


def recipients(detail: IncidentDetail, settings: Settings) -> tuple[list[str], str | None, str | None]:
    """(to, language, time zone): our network's owner, else the network's abuse contact."""
    if detail.ours:
        constituency = Constituency(settings.constituency)
        for source in detail.sources:
            entry = constituency.match(source)
            if entry is not None:
                return list(entry.contacts), entry.language, _zone_of(settings, entry.network)
    return list(detail.abuse_contacts), None, None


def _zone_of(settings: Settings, network: str) -> str | None:
    for entry in settings.constituency:
        if ipaddress.ip_network(entry.network, strict=False).compressed == network:
            return entry.timezone
    return None


def context(detail: IncidentDetail, settings: Settings, zone_name: str | None) -> dict[str, object]:
    """The template variables of a notification (and of a forward, which adds its own)."""
    where = zone(zone_name)
    timed = [o for o in detail.observations if o.time is not None]
    times = [o.time for o in timed if o.time is not None]
    ends = [o.time_end or o.time for o in timed if o.time is not None]  # a range's end counts
    first, last = (min(times), max(ends)) if times else (None, None)
    observations = [
        {
            "ip": o.ip,
            "port": o.port,
            "time": format_utc(o.time),
            "time_local": local(o.time, where),
            "time_jst": local(o.time, zone(DEFAULT_ZONE)),
            "evidence": " ".join((o.evidence or "").split())[:MAX_EVIDENCE_CHARS],
        }
        for o in timed[:MAX_OBSERVATIONS]
    ]
    category = detail.category or "other"
    return {
        "team": settings.mail.team_name,
        "from_address": settings.mail.from_address,
        "incident": detail,
        "category": category,
        "category_ja": CATEGORY_JA.get(category, "不審な通信"),
        "taxonomy": taxonomy(category),
        "zone": str(where),
        "first_seen": format_utc(first),
        "last_seen": format_utc(last),
        "first_seen_local": local(first, where),
        "last_seen_local": local(last, where),
        "first_seen_jst": local(first, zone(DEFAULT_ZONE)),
        "last_seen_jst": local(last, zone(DEFAULT_ZONE)),
        "observations": observations,
        "more": max(0, len(timed) - MAX_OBSERVATIONS),
        "untimed": len(detail.observations) - len(timed),
    }


def render_notification(
    detail: IncidentDetail, settings: Settings, language: str | None = None, tag: str | None = None
) -> Draft:
    """The notification; ``tag`` (the ticket tag) leads the subject when given."""
    to, owner_language, zone_name = recipients(detail, settings)
    lang = language_of(language or owner_language, settings.mail.language)
    values = context(detail, settings, zone_name)
    subject = render("notify.subject", lang, values).strip()
    if tag:
        subject = f"{tag} {subject}"
    body = render("notify", lang, values)
    return Draft(to=to, subject=subject, body=body, language=lang)
