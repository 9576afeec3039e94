"""Typed settings loaded once from TOML and passed explicitly (no global singleton).

Each section is a frozen dataclass; settings_loader checks names and types. Secrets
are never in the file: a key such as ``password_env`` names the environment variable.
The outgoing half's sections (``[mail]``, ``[[forward]]``, ``[[digest]]``) are in
mail_config.py; finding, reading and loading the file, and reading secrets, in
config_file.py.
"""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

from abusebox.core.hosts import is_loopback
from abusebox.core.mail_config import DigestRecipient, ForwardRule, MailSettings
from abusebox.core.settings_loader import ConfigError


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/abusebox.db"
    url_env: str | None = None  # env var holding the URL (with password) instead of `url`
    echo: bool = False

    def resolved_url(self) -> str:
        if self.url_env:
            value = os.environ.get(self.url_env)
            if value:
                return value
        return self.url


_GIB = 1024**3
# What each limit may be set to: a zero that quarantines everything, a timeout that
# disables itself, or memory no machine has are refused when the config loads.
_LIMIT_RANGES: dict[str, tuple[float, float]] = {
    "max_message_bytes": (1, 64 * _GIB),
    "max_read_bytes": (1, 64 * _GIB),
    "max_header_bytes": (1, _GIB),
    "max_parts": (1, 1_000_000),
    "max_depth": (1, 1000),
    "max_attachment_bytes": (1, 64 * _GIB),
    "max_total_decoded_bytes": (1, 64 * _GIB),
    "max_archive_entries": (1, 10_000_000),
    "max_compression_ratio": (1, 1_000_000),
    "max_archive_depth": (0, 100),
    "max_table_rows": (1, 1_000_000_000),
    "max_observations": (1, 1_000_000_000),
    "message_timeout_seconds": (0.1, 86_400),
    "worker_processes": (0, 1024),
    "worker_memory_mb": (0, 16 * 1024 * 1024),
}


@dataclass(frozen=True)
class LimitSettings:
    max_message_bytes: int = 50 * 1024 * 1024
    # Local sources never hold a message larger than this: it is reported as unreadable
    # (between max_message_bytes and this it is stored and quarantined, bytes kept).
    max_read_bytes: int = 256 * 1024 * 1024
    max_header_bytes: int = 512 * 1024
    max_parts: int = 1000
    max_depth: int = 20
    max_attachment_bytes: int = 64 * 1024 * 1024
    max_total_decoded_bytes: int = 256 * 1024 * 1024
    max_archive_entries: int = 1000
    max_compression_ratio: int = 200
    max_archive_depth: int = 3  # archives inside archives (zip in zip, csv.gz in zip)
    max_table_rows: int = 1_000_000  # rows read from one CSV/feed file; the rest is skipped
    # Observations kept from one message (the rest dropped, with a reason): bounds what the
    # parent groups and commits for one message.
    max_observations: int = 200_000
    message_timeout_seconds: float = 60.0
    worker_processes: int = 0  # analysis processes; 0 = one per CPU
    worker_memory_mb: int = 2048  # address-space cap per analysis process; 0 = none

    def validate(self) -> tuple[str, str] | None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                return f.name, "must not be negative"
        if self.max_read_bytes < self.max_message_bytes:
            return "max_read_bytes", "must be at least max_message_bytes"
        for name, (low, high) in _LIMIT_RANGES.items():
            value = getattr(self, name)
            if not low <= value <= high:
                return name, f"must be between {low:g} and {high:g}, not {value:g}"
        return None


@dataclass(frozen=True)
class SourceSettings:
    name: str
    kind: Literal["maildir", "mbox", "eml", "imap"]
    path: str | None = None  # maildir / mbox / eml
    enabled: bool = True
    poll_interval_seconds: int = 60
    # IMAP
    host: str | None = None
    port: int | None = None
    security: Literal["tls", "starttls", "plain"] = "tls"
    allow_plain: bool = False  # permit `plain` to a non-loopback host
    user: str | None = None
    password_env: str | None = None
    folder: str = "INBOX"
    move: bool = True
    processed_folder: str = "abusebox/processed"
    quarantine_folder: str = "abusebox/quarantine"
    batch_size: int = 200
    idle: bool = False
    timeout_seconds: float = 30.0
    retry_max_seconds: float = 300.0  # keep reconnecting (backoff + jitter) this long per step

    def validate(self) -> tuple[str, str] | None:
        if self.kind in ("maildir", "mbox", "eml") and not self.path:
            return "path", f"source {self.name!r} of kind {self.kind} needs `path`"
        if self.kind == "imap":
            for key in ("host", "user"):
                if not getattr(self, key):
                    return key, f"source {self.name!r} of kind imap needs `{key}`"
            if self.security == "plain" and not self.allow_plain and not is_loopback(self.host or ""):
                return "security", (
                    f"source {self.name!r}: plain is only allowed to a loopback host "
                    "unless allow_plain = true"
                )
        if self.batch_size < 1:
            return "batch_size", "must be at least 1"
        if self.poll_interval_seconds < 1:
            return "poll_interval_seconds", "must be at least 1"
        return None


@dataclass(frozen=True)
class PgpSettings:
    enabled: bool = True
    gnupghome: str = "var/gnupg"
    gpg_binary: str = "gpg"
    key_fingerprint: str | None = None  # our own key, for decrypting and signing
    passphrase_env: str | None = None
    sign_outgoing: bool = False
    encrypt_to: list[str] = field(default_factory=list)  # recipient addresses we encrypt to
    timeout_seconds: float = 20.0  # per gpg process; it is killed after that
    keyserver: str = "hkps://keys.openpgp.org"  # only `abusebox keys refresh` uses it
    max_plaintext_bytes: int = 50 * 1024 * 1024  # decrypted/verified text cap; gpg is killed beyond it
    max_gpg_calls: int = 8  # per message: PGP blocks beyond this are reported, not checked


@dataclass(frozen=True)
class TriageSettings:
    authserv_id: str | None = None  # our own MTA's Authentication-Results id
    spam_threshold: float = 5.0
    non_incident_threshold: float = 3.0
    trusted_reporters: list[str] = field(default_factory=list)  # addresses or @domains
    trusted_fingerprints: list[str] = field(default_factory=list)
    disabled_rules: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)  # rule name -> multiplier
    spamassassin_threshold: float = 5.0
    rspamd_threshold: float = 15.0
    automated_threshold: float = 3.0  # bounces, auto-replies, list mail
    spamd_host: str | None = None  # ask a SpamAssassin spamd when set; never required
    spamd_port: int = 783
    spamd_timeout_seconds: float = 5.0
    spamd_max_bytes: int = 512 * 1024  # larger messages are not sent to spamd (spamc's default)
    classifier_min_examples: int = 20  # desk decisions before the learned classifier speaks
    classifier_max_examples: int = 2000  # newest desk decisions the classifier trains on
    learned_refresh_seconds: float = 30.0  # how often the pipeline checks for new desk decisions

    def validate(self) -> str | None:
        # Rule names are checked where the application is assembled (abusebox.triage.check_rule_names):
        # the registry of rules lives above this module.
        numbers = {f"weights.{k}": v for k, v in self.weights.items()}
        for key in ("spam_threshold", "non_incident_threshold", "automated_threshold"):
            numbers[key] = getattr(self, key)
        for key, value in numbers.items():
            if not math.isfinite(value):  # TOML has nan and inf; a nan score decides nothing
                return f"{key} must be a finite number"
        return None


@dataclass(frozen=True)
class ConstituencyNetwork:
    network: str
    owner: str
    contacts: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str = "ja"
    timezone: str = "Asia/Tokyo"  # the owner's zone, for the times in notifications

    def validate(self) -> tuple[str, str] | None:
        try:
            ipaddress.ip_network(self.network, strict=False)
        except ValueError:
            return "network", f"{self.network!r} is not a CIDR network"
        return None


@dataclass(frozen=True)
class EnrichmentSettings:
    offline: bool = False
    cache_ttl_hours: int = 24 * 7
    timeout_seconds: float = 10.0
    rdap_base_url: str | None = None  # point ipwhois at a mirror or a local replay
    max_retries: int = 8
    retry_base_seconds: float = 60.0
    registry_min_interval_seconds: dict[str, float] = field(
        default_factory=lambda: {"ripencc": 2.0, "lacnic": 5.0, "arin": 0.5, "apnic": 1.0, "afrinic": 1.0}
    )
    # After a 429 (or a rate-limit notice) from a registry, leave it alone this long.
    registry_cooldown_seconds: float = 600.0
    max_retry_seconds: float = 24 * 3600.0  # cap of the exponential backoff
    batch_size: int = 100  # queue items per enrichment job run
    # ASN step: ipwhois methods in order; "dns" queries Team Cymru (or asn_dns_server).
    asn_methods: list[str] = field(default_factory=lambda: ["dns", "whois", "http"])
    asn_dns_server: str | None = None  # "host:port" answering Cymru origin TXT queries
    rdap_depth: int = 1  # RDAP entity depth (1 finds abuse contacts nested under an org)


@dataclass(frozen=True)
class GroupingSettings:
    key: Literal["ip", "prefix", "network", "asn"] = "ip"
    window_days: float = 7.0
    ipv4_prefix: int = 24
    ipv6_prefix: int = 64


@dataclass(frozen=True)
class LifecycleSettings:
    high_priority_reports: int = 25
    critical_priority_reports: int = 100
    high_priority_categories: list[str] = field(default_factory=lambda: ["intrusion", "malware"])
    low_priority_categories: list[str] = field(default_factory=lambda: ["scan"])
    auto_resolve_quiet_days: float = 30.0  # 0 disables auto-resolve
    auto_resolve_states: list[str] = field(default_factory=lambda: ["new", "triage", "contacting"])


@dataclass(frozen=True)
class RetentionSettings:
    raw_days: int = 365
    observation_days: int = 365
    mode: Literal["prune", "archive"] = "archive"
    archive_dir: str = "var/archive"
    batch_size: int = 500  # rows per transaction while pruning


@dataclass(frozen=True)
class WebSettings:
    enabled: bool = True  # `abusebox run` serves the web UI too
    host: str = "127.0.0.1"
    port: int = 8080
    secret_env: str | None = None  # signs session cookies; unset: a random key per start
    session_hours: float = 12.0
    login_attempts: int = 5  # failed logins per user and per address within login_window_seconds
    login_window_seconds: float = 300.0
    page_size: int = 50
    forwarded_allow_ips: str = "127.0.0.1"  # proxies whose X-Forwarded-Proto/-For are believed


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    sources: list[SourceSettings] = field(default_factory=list)
    pgp: PgpSettings = field(default_factory=PgpSettings)
    triage: TriageSettings = field(default_factory=TriageSettings)
    constituency: list[ConstituencyNetwork] = field(default_factory=list)
    enrichment: EnrichmentSettings = field(default_factory=EnrichmentSettings)
    grouping: GroupingSettings = field(default_factory=GroupingSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    forward: list[ForwardRule] = field(default_factory=list)
    digest: list[DigestRecipient] = field(default_factory=list)
    web: WebSettings = field(default_factory=WebSettings)
    path: str | None = None  # the file these came from, for messages and relative paths

    def validate(self) -> tuple[str, str] | None:
        seen: set[str] = set()
        for i, source in enumerate(self.sources):
            if source.name in seen:
                return f"sources[{i}].name", f"duplicate source name {source.name!r}"
            seen.add(source.name)
        tables: tuple[tuple[str, list[str]], ...] = (
            ("forward", [r.name for r in self.forward]),
            ("digest", [d.name for d in self.digest]),
        )
        for table, entries in tables:
            names: set[str] = set()
            for i, name in enumerate(entries):
                if name in names:
                    return f"{table}[{i}].name", f"duplicate {table} name {name!r}"
                names.add(name)
        return None

    def base_dir(self) -> Path:
        """Relative paths in the file are relative to the directory of the file."""
        return Path(self.path).resolve().parent if self.path else Path.cwd()

    def resolve_path(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else self.base_dir() / p

    def database_url(self) -> str:
        url = self.database.resolved_url()
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve_path(url[len(prefix) :]))
        return url

    def source(self, name: str) -> SourceSettings:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)


__all__ = ["ConfigError", "Settings"]
