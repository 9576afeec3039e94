"""The outgoing half's settings: ``[mail]`` (SMTP, acknowledgements, delivery, alerts),
``[[forward]]`` routing rules and ``[[digest]]`` recipients.

Frozen dataclasses like the other sections (core/config.py composes them into Settings);
kept apart because they are what the outbox reads, and they make up a third of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from abusebox.core.hosts import is_loopback


@dataclass(frozen=True)
class MailSettings:
    enabled: bool = False
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    security: Literal["tls", "starttls", "plain"] = "plain"
    user: str | None = None
    password_env: str | None = None
    ca_file: str | None = None  # PEM CA bundle that signs the MTA's certificate (else the system's)
    from_address: str = "abuse@example.org"
    team_name: str = "Example CSIRT"
    language: str = "ja"
    send_acknowledgements: bool = True
    # -- the outbox (docs/outbox.md) --
    ticket_tag: str = "[abusebox #{ticket}]"  # in subjects; {ticket} is e.g. 2026-000123
    own_addresses: list[str] = field(default_factory=list)  # never acknowledged (besides from_address)
    ack_require_authentication: bool = True  # DMARC pass from our MTA, or a valid PGP signature
    ack_per_sender: int = 1  # acknowledgements per sender per window, unless a new incident
    ack_sender_window_hours: float = 24.0
    ack_per_hour: int = 200  # acknowledgements per hour in all
    iso_2022_jp: list[str] = field(default_factory=list)  # recipients (addresses or @domains)
    max_attempts: int = 10  # temporary failures before a mail is `failed`
    retry_base_seconds: float = 60.0  # backoff: base * 2**(attempts-1), capped
    retry_max_seconds: float = 3600.0
    send_interval_seconds: float = 30.0  # how often `abusebox run` delivers approved mail
    send_lease_seconds: float = 300.0  # an unfinished delivery older than this was interrupted
    timeout_seconds: float = 30.0
    notify_auto_approve_categories: list[str] = field(default_factory=list)
    notify_auto_approve_owners: list[str] = field(default_factory=list)
    contact_name: str = ""  # the person named in forwards (JPCERT/CC form: 氏名)
    department: str = ""  # (部署名)
    alert_to: list[str] = field(default_factory=list)  # on-duty addresses for internal alerts
    alert_per_hour: int = 20

    def validate(self) -> tuple[str, str] | None:
        if self.ticket_tag.count("{ticket}") != 1:
            return "ticket_tag", "must contain {ticket} exactly once"
        if self.user and self.security == "plain" and not is_loopback(self.smtp_host):
            return "security", "plain would send the SMTP password in clear text: use starttls or tls"
        for key in ("ack_per_sender", "ack_per_hour", "max_attempts", "alert_per_hour"):
            if getattr(self, key) < 0:
                return key, "must not be negative"
        return None


@dataclass(frozen=True)
class ForwardRule:
    """`[[forward]]`: where incidents matching category/country/ours go (JPCERT/CC, a CERT)."""

    name: str
    to: list[str] = field(default_factory=list)
    to_abuse_contact: bool = False  # also (or instead) the network's RDAP abuse contact
    category: list[str] = field(default_factory=list)  # empty: any
    country: list[str] = field(default_factory=list)  # RDAP country codes; empty: any
    ours: Literal["any", "ours", "external"] = "external"
    template: str = "forward"
    language: str = "ja"
    format: Literal["jpcert", "text"] = "jpcert"
    charset: Literal["utf-8", "iso-2022-jp"] = "utf-8"
    auto: bool = False  # forward without waiting for a handler's `contacting`
    purpose: int = 3  # JPCERT/CC form: 1 情報提供, 2 質問, 3 関係サイトへの連絡を希望

    def validate(self) -> tuple[str, str] | None:
        if self.purpose not in (1, 2, 3):
            return "purpose", "must be 1, 2 or 3"
        if not self.to and not self.to_abuse_contact:
            return "to", f"forward rule {self.name!r} needs `to` or `to_abuse_contact = true`"
        return None


@dataclass(frozen=True)
class DigestRecipient:
    """`[[digest]]`: one periodic summary mail (cron schedule in its own time zone)."""

    name: str
    to: list[str]
    schedule: str = "0 9 * * *"  # crontab: minute hour day month day-of-week
    timezone: str = "Asia/Tokyo"
    category: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    ours: Literal["any", "ours", "external"] = "any"
    template: str = "digest"
    language: str = "ja"
    format: Literal["csv", "csv+xarf"] = "csv"
    charset: Literal["utf-8", "iso-2022-jp"] = "utf-8"

    def validate(self) -> tuple[str, str] | None:
        if len(self.schedule.split()) != 5:
            return "schedule", f"digest {self.name!r}: expected five crontab fields"
        if not self.to:
            return "to", f"digest {self.name!r} needs at least one address"
        return None
