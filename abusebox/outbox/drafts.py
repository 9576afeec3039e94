"""Render a notification draft for an incident from the Jinja2 templates in templates/mail/.

The desk sends it (or edits it first): step 3 of the response, contacting the owner of the
network or its abuse contact. Evidence lines come from reporters, so the draft is plain
text only, and each line is cut short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from abusebox.core.config import Settings
from abusebox.core.models import format_utc
from abusebox.core.resources import MAIL_TEMPLATES_DIR
from abusebox.extract.categories import taxonomy
from abusebox.incidents.constituency import Constituency
from abusebox.store.incidents import IncidentDetail

LANGUAGES = ("ja", "en")
JST = timezone(timedelta(hours=9), "JST")
MAX_OBSERVATIONS = 30
MAX_EVIDENCE_CHARS = 300

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


@dataclass(frozen=True)
class Draft:
    to: list[str]
    subject: str
    body: str
    language: str

    def as_text(self) -> str:
        return f"To: {', '.join(self.to) or '(no contact known)'}\nSubject: {self.subject}\n\n{self.body}"


def _environment() -> Environment:
    # Plain-text mail: no HTML autoescaping, but undefined names are errors, not blanks.
    return Environment(
        loader=FileSystemLoader(MAIL_TEMPLATES_DIR),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _jst(value: datetime | None) -> str | None:
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S") if value else None


def recipients(detail: IncidentDetail, settings: Settings) -> tuple[list[str], str | None]:
    """Who to write to, and in which language: our network's owner, else its abuse contact."""
    if detail.ours:
        constituency = Constituency(settings.constituency)
        for source in detail.sources:
            entry = constituency.match(source)
            if entry is not None:
                return list(entry.contacts), entry.language
    return list(detail.abuse_contacts), None


def render_notification(detail: IncidentDetail, settings: Settings, language: str | None = None) -> Draft:
    to, owner_language = recipients(detail, settings)
    lang = language or owner_language or settings.mail.language
    if lang not in LANGUAGES:
        lang = "en"
    observations = [
        {
            "ip": o.ip,
            "port": o.port,
            "time": format_utc(o.time),
            "time_jst": _jst(o.time),
            "evidence": (o.evidence or "").replace("\r", " ")[:MAX_EVIDENCE_CHARS],
        }
        for o in detail.observations[:MAX_OBSERVATIONS]
    ]
    context = {
        "team": settings.mail.team_name,
        "from_address": settings.mail.from_address,
        "incident": detail,
        "category": detail.category or "other",
        "category_ja": CATEGORY_JA.get(detail.category or "other", "不審な通信"),
        "taxonomy": taxonomy(detail.category or "other"),
        "first_seen": format_utc(detail.first_seen),
        "last_seen": format_utc(detail.last_seen),
        "first_seen_jst": _jst(detail.first_seen),
        "last_seen_jst": _jst(detail.last_seen),
        "observations": observations,
        "more": max(0, len(detail.observations) - MAX_OBSERVATIONS),
    }
    env = _environment()
    subject = env.get_template(f"notification.subject.{lang}.txt.j2").render(context).strip()
    body = env.get_template(f"notification.body.{lang}.txt.j2").render(context)
    return Draft(to=to, subject=subject, body=body, language=lang)
