"""Periodic digests (``[[digest]]``), mailgen-style: what is new since a recipient's last one.

Every source observation a recipient has not been sent goes into one mail per run: a
summary table per incident in the text and a CSV attachment with the RSIT taxonomy
columns (cells a spreadsheet would run as a formula are neutralised), optionally X-ARF
JSON. What a digest includes is marked in the same transaction as its outbox row, so
nothing is ever included twice; an empty period sends nothing.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.mail_config import DigestRecipient
from abusebox.core.models import format_utc
from abusebox.core.safetext import safe_cell
from abusebox.core.taxonomy import taxonomy
from abusebox.outbox.compose import Attachment, Outgoing, new_message_id
from abusebox.outbox.drafts import CATEGORY_JA, local, zone
from abusebox.outbox.queue import enqueue
from abusebox.outbox.templates import language_of, render
from abusebox.outbox.tickets import ticket_number
from abusebox.store import outbox as outbox_store
from abusebox.store import routing

ACTOR = "digest"
CSV_FIELDS = (
    "ticket",
    "incident",
    "source_ip",
    "time",
    "category",
    "classification_taxonomy",
    "classification_type",
    "port",
    "country",
    "asn",
    "evidence",
)
MAX_EVIDENCE_CHARS = 500


@dataclass(frozen=True)
class Digest:
    recipient: str
    to: list[str]
    subject: str
    body: str
    attachments: list[Attachment]
    observations: list[int]
    incidents: list[int]

    def as_text(self) -> str:
        names = ", ".join(a.filename for a in self.attachments)
        return f"To: {', '.join(self.to)}\nSubject: {self.subject}\nAttachments: {names}\n\n{self.body}"


def rsit(category: str | None) -> tuple[str, str]:
    found = taxonomy(category or "other") or "other/other"
    tax, _, kind = found.partition("/")
    return tax, kind


def rows_csv(rows: list[routing.DigestObservation]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for o in rows:
        tax, kind = rsit(o.category)
        values = (
            ticket_number(o.incident_pk, o.incident_created),
            o.incident_pk,
            o.ip,
            format_utc(o.time),
            o.category,
            tax,
            kind,
            o.port,
            o.country,
            o.asn,
            " ".join(o.evidence.split("\n"))[:MAX_EVIDENCE_CHARS],
        )
        writer.writerow([safe_cell(v) for v in values])
    return buf.getvalue().encode("utf-8")


def rows_xarf(rows: list[routing.DigestObservation], settings: Settings) -> bytes:
    """X-ARF (v0.2 style) JSON reports, one per observation."""
    reports = []
    for o in rows:
        tax, kind = rsit(o.category)
        reports.append(
            {
                "Version": "0.2",
                "ReporterInfo": {
                    "ReporterOrg": settings.mail.team_name,
                    "ReporterOrgEmail": settings.mail.from_address,
                },
                "Report": {
                    "ReportClass": tax,
                    "ReportType": kind,
                    "Date": format_utc(o.time),
                    "SourceIp": o.ip,
                    "SourcePort": o.port,
                    "Ticket": ticket_number(o.incident_pk, o.incident_created),
                    "Evidence": o.evidence[:MAX_EVIDENCE_CHARS],
                },
            }
        )
    return json.dumps(reports, ensure_ascii=False, indent=1).encode("utf-8")


def compose_digest(
    session: Session, settings: Settings, recipient: DigestRecipient, now: datetime
) -> Digest | None:
    rows = routing.digest_candidates(
        session,
        recipient.name,
        categories=recipient.category,
        countries=recipient.country,
        ours=recipient.ours,
    )
    if not rows:
        return None
    where = zone(recipient.timezone)
    incidents: dict[int, list[routing.DigestObservation]] = {}
    for o in rows:
        incidents.setdefault(o.incident_pk, []).append(o)
    summary = []
    for pk, found in incidents.items():
        first = found[0]
        times = [o.time for o in found if o.time is not None]
        summary.append(
            {
                "ticket": ticket_number(pk, first.incident_created),
                "incident": pk,
                "category": first.category or "other",
                "category_ja": CATEGORY_JA.get(first.category or "other", "不審な通信"),
                "taxonomy": "/".join(rsit(first.category)),
                "sources": sorted({o.ip for o in found}),
                "country": first.country,
                "asn": first.asn,
                "count": len(found),
                "first_seen": format_utc(min(times)) if times else None,
                "last_seen": format_utc(max(times)) if times else None,
                "first_seen_local": local(min(times), where) if times else None,
                "last_seen_local": local(max(times), where) if times else None,
                "logs": [
                    {
                        "time": format_utc(o.time),
                        "time_local": local(o.time, where),
                        "ip": o.ip,
                        "port": o.port,
                        "evidence": " ".join(o.evidence.split())[:300],
                    }
                    for o in found
                    if o.time is not None
                ][:10],
            }
        )
    language = language_of(recipient.language, settings.mail.language)
    values = {
        "team": settings.mail.team_name,
        "from_address": settings.mail.from_address,
        "contact_name": settings.mail.contact_name,
        "department": settings.mail.department,
        "recipient": recipient.name,
        "zone": str(where),
        "generated": local(now, where),
        "generated_utc": format_utc(now),
        "incidents": summary,
        "observations": len(rows),
    }
    body = render(recipient.template, language, values)
    stamp = now.astimezone(where).strftime("%Y%m%d")
    attachments = [Attachment(f"abusebox-{recipient.name}-{stamp}.csv", "text/csv", rows_csv(rows))]
    if recipient.format == "csv+xarf":
        attachments.append(
            Attachment(
                f"abusebox-{recipient.name}-{stamp}.xarf.json", "application/json", rows_xarf(rows, settings)
            )
        )
    what = "定期報告" if language == "ja" else "digest"
    day = now.astimezone(where).strftime("%Y-%m-%d")
    subject = f"[{settings.mail.team_name}] {what} {day}: {len(summary)} incidents"
    return Digest(
        recipient.name, list(recipient.to), subject, body, attachments, [o.pk for o in rows], list(incidents)
    )


def run_digest(
    session: Session,
    settings: Settings,
    recipient: DigestRecipient,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> tuple[Digest | None, int | None]:
    """Compose and (unless ``dry_run``) queue one recipient's digest; (digest, outbox pk)."""
    at = now or datetime.now(UTC)
    digest = compose_digest(session, settings, recipient, at)
    if digest is None or dry_run:
        return digest, None
    out = Outgoing(
        to=digest.to,
        subject=digest.subject,
        body=digest.body,
        message_id=new_message_id(settings.mail),
        charset=recipient.charset,
        attachments=digest.attachments,
    )
    pk = enqueue(
        session, settings, out, kind="digest", status="approved", actor=ACTOR, language=recipient.language,
        rule=recipient.name, cap_key=f"digest:{recipient.name}", incidents=tuple(digest.incidents), now=at,
    )  # fmt: skip
    made = outbox_store.get(session, pk)
    if made is not None and made.status != "failed":  # not signed/encrypted: the next run has them
        outbox_store.mark(session, recipient.name, digest.observations, pk)
    return digest, pk
