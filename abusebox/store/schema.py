"""SQLAlchemy 2.0 typed mappings: the tables. The schema is created and changed only by Alembic.

Times are stored as timezone-aware UTC (``UtcDateTime``, store/base.py) on both SQLite
and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from abusebox.core.reasons import Reason
from abusebox.store.base import Base, ReasonList, UtcDateTime, utcnow


class MessageRow(Base):
    """One raw message exactly as received: the evidence. Never modified after insert."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # NULL once the retention job archived (archived=True) or pruned the bytes.
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(200))
    source_id: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    message_id_header: Mapped[str | None] = mapped_column(Text)
    from_addr: Mapped[str | None] = mapped_column(String(320), index=True)
    subject: Mapped[str | None] = mapped_column(Text)
    date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    failed_stage: Mapped[str | None] = mapped_column(String(40))
    traceback: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # The lease of a `new` message (store/messages.py claim_*): which worker analyses it, until when.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)

    report: Mapped[ReportRow | None] = relationship(back_populates="message", uselist=False)


class MailboxItemRow(Base):
    """Where a message was seen in a mailbox: the ledger keyed on UIDVALIDITY and UID."""

    __tablename__ = "mailbox_items"
    __table_args__ = (UniqueConstraint("source", "folder", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    folder: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    moved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    moved_to: Mapped[str | None] = mapped_column(String(500))
    move_note: Mapped[str | None] = mapped_column(Text)


class MailboxStateRow(Base):
    """Per-source polling state and counters, shown by `abusebox status`."""

    __tablename__ = "mailbox_state"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    folder: Mapped[str | None] = mapped_column(String(500))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    fetched: Mapped[int] = mapped_column(BigInteger, default=0)
    new: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    quarantined: Mapped[int] = mapped_column(BigInteger, default=0)
    moved: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(BigInteger, default=0)
    uidvalidity_changes: Mapped[int] = mapped_column(Integer, default=0)
    last_poll_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class ReportRow(Base):
    """The parsed facts of one message."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_pk: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True, index=True
    )
    verdict: Mapped[str] = mapped_column(String(20), index=True)
    category: Mapped[str | None] = mapped_column(String(30))
    format: Mapped[str] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(10))
    reporter: Mapped[str | None] = mapped_column(String(320), index=True)
    spam_score: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[list[Reason]] = mapped_column(ReasonList, default=list)  # triage's, a desk's first
    extraction_reasons: Mapped[list[Reason]] = mapped_column(ReasonList, default=list)
    triage_verdict: Mapped[str | None] = mapped_column(String(20))  # triage's own, whoever decided
    pgp_status: Mapped[str] = mapped_column(String(20), default="none")
    pgp_fingerprint: Mapped[str | None] = mapped_column(String(64))
    pgp_signer_matches_from: Mapped[bool | None] = mapped_column(Boolean)
    pgp_encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    pgp_detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    verdict_by: Mapped[str] = mapped_column(String(100), default="triage")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    message: Mapped[MessageRow] = relationship(back_populates="report")
    observations: Mapped[list[ObservationRow]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )


class ObservationRow(Base):
    __tablename__ = "observations"
    __table_args__ = (Index("ix_observations_ip_category", "ip", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    incident_pk: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str] = mapped_column(String(10), default="source")
    ip: Mapped[str] = mapped_column(String(64))
    group_key: Mapped[str | None] = mapped_column(String(100))
    time: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    time_end: Mapped[datetime | None] = mapped_column(UtcDateTime)  # a stated range's end
    time_original: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(30))
    port: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    report: Mapped[ReportRow] = relationship(back_populates="observations")


class IncidentRow(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_key_window", "group_key", "category", "window_end"),
        Index("ix_incidents_state_last_seen", "state", "last_seen"),
        Index("ix_incidents_state_first_seen", "state", "first_seen"),  # migration 0007
        Index("ix_incidents_report_count", "report_count"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_key: Mapped[str] = mapped_column(String(100))
    key_kind: Mapped[str] = mapped_column(String(20), default="ip")
    category: Mapped[str | None] = mapped_column(String(30))
    # by state: ix_incidents_state_last_seen (state first)
    state: Mapped[str] = mapped_column(String(20), default="new")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    assignee: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200), index=True)  # constituency owner
    ours: Mapped[bool] = mapped_column(Boolean, default=False)
    # Observed times only (a time, a range's end); null while no observation has a time.
    first_seen: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # The span grouping compares new observations against: observed times, and for
    # time-less observations their report's arrival. Never shown as a time seen.
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    observation_count: Mapped[int] = mapped_column(Integer, default=0)
    asn: Mapped[int | None] = mapped_column(BigInteger)
    country: Mapped[str | None] = mapped_column(String(8))
    network: Mapped[str | None] = mapped_column(String(64))
    network_name: Mapped[str | None] = mapped_column(String(200))
    abuse_contacts: Mapped[list[str]] = mapped_column(JSON, default=list)
    merged_into_pk: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    cause: Mapped[str | None] = mapped_column(String(40))
    recovery: Mapped[str | None] = mapped_column(Text)
    prevention: Mapped[str | None] = mapped_column(Text)
    lessons: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    events: Mapped[list[IncidentEventRow]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentEventRow.id"
    )


class IncidentEventRow(Base):
    """The incident's work log: every change, by a person or automatically."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_pk: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    incident: Mapped[IncidentRow] = relationship(back_populates="events")


class MessageEventRow(Base):
    """Decisions about a message (reclassified, replayed, quarantined) with who and why."""

    __tablename__ = "message_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class EnrichmentRow(Base):
    """Cached RDAP/whois answer for one network (shared by every address inside it)."""

    __tablename__ = "enrichment_cache"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network: Mapped[str] = mapped_column(String(64), unique=True)
    rir: Mapped[str | None] = mapped_column(String(20))
    asn: Mapped[int | None] = mapped_column(BigInteger)
    asn_cidr: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(String(200))
    abuse_contacts: Mapped[list[str]] = mapped_column(JSON, default=list)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EnrichmentQueueRow(Base):
    """Addresses waiting for (or done with) enrichment, with retry bookkeeping."""

    __tablename__ = "enrichment_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ip: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    enrichment_pk: Mapped[int | None] = mapped_column(ForeignKey("enrichment_cache.id", ondelete="SET NULL"))


class WorkerLockRow(Base):
    """Named leases (scheduler leadership where advisory locks are unavailable)."""

    __tablename__ = "worker_locks"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxRow(Base):
    """One outgoing mail: the only way anything leaves. ``raw`` is exactly what is sent."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # ack notify forward digest alert
    status: Mapped[str] = mapped_column(String(20), index=True)  # draft approved sent failed discarded
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    envelope_from: Mapped[str] = mapped_column(String(320), default="")  # "" is MAIL FROM:<>
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    language: Mapped[str | None] = mapped_column(String(10))
    rule: Mapped[str | None] = mapped_column(String(200))  # forward rule or digest recipient
    cap_key: Mapped[str | None] = mapped_column(String(320), index=True)  # who a rate cap counts
    answers_message_pk: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    incidents: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reports: Mapped[list[Any]] = mapped_column(JSON, default=list)  # message pks
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    interrupted: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    sending_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # set while a delivery is in flight
    created_by: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DigestMarkRow(Base):
    """An observation already included in a digest to a recipient: never included again."""

    __tablename__ = "digest_marks"
    __table_args__ = (UniqueConstraint("recipient", "observation_pk"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(200))
    observation_pk: Mapped[int] = mapped_column(ForeignKey("observations.id", ondelete="CASCADE"))
    outbox_pk: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"))


class UserRow(Base):
    """A person who signs in to the web UI or the API: a role, an argon2 password hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ApiTokenRow(Base):
    """An API token, kept only as its sha256 (the token itself is printed once)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditRow(Base):
    """What a user did or was refused outside an incident's timeline (logins, denials, users)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class _TallyColumns:
    """The columns desk_tally and desk_tally_delta share: (kind, bucket, a, b) -> n."""

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    bucket: Mapped[str] = mapped_column(String(10))
    a: Mapped[str] = mapped_column(String(30))
    b: Mapped[str] = mapped_column(String(30))
    n: Mapped[int] = mapped_column(BigInteger)


class DeskTallyRow(_TallyColumns, Base):
    """Folded counts for the dashboard and statistics (kind, bucket, a, b) -> n (migration 0007)."""

    __tablename__ = "desk_tally"


class DeskTallyDeltaRow(_TallyColumns, Base):
    """+1/-1 rows written by the database's triggers, folded into desk_tally when read."""

    __tablename__ = "desk_tally_delta"


class LoginFailureRow(Base):
    """One failed sign-in, counted under ``user:NAME`` and ``addr:ADDRESS`` (web throttling)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class LeaderHeartbeatRow(Base):
    """Who holds scheduler leadership, as last said by the leader itself (for /healthz)."""

    __tablename__ = "leader_heartbeat"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(300))
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
