"""Deliver approved outbox rows over SMTP (smtplib), with retry, backoff and permanent failure.

One pass: every approved row that is due is claimed in its own committed transaction,
sent, and finished in another. A 4xx reply or a connection problem defers the row with
exponential backoff (``failed`` after ``max_attempts``); a 5xx reply makes it ``failed``
with the server's words. The resend-once rule (docs/outbox.md): a claim left open by a
crash is retried once more with the same Message-ID; a second interrupted claim marks the
row ``failed`` rather than risk a third copy.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from abusebox.core.config import ConfigError, Settings
from abusebox.core.config_file import secret
from abusebox.core.mail_config import MailSettings
from abusebox.store import incidents as incident_store
from abusebox.store import outbox as outbox_store
from abusebox.store.db import Database

log = logging.getLogger(__name__)
ACTOR = "sender"


@dataclass(frozen=True)
class Delivery:
    outcome: str  # sent | deferred | failed
    detail: str | None = None
    setup: bool = False  # our side is wrong (TLS trust, password): stop the pass, retry later


@dataclass
class SendCounts:
    sent: int = 0
    failed: int = 0
    deferred: int = 0

    def summary(self) -> str:
        return f"sent {self.sent}, failed {self.failed}, deferred {self.deferred}"


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"[:1000]


def tls_context(settings: MailSettings) -> ssl.SSLContext:
    """A verifying client context: the system's CAs, or only ``ca_file`` when it is set."""
    return ssl.create_default_context(cafile=settings.ca_file or None)


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.security == "tls":
        return smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=settings.timeout_seconds,
            context=tls_context(settings),
        )
    client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds)
    if settings.security == "starttls":
        try:
            client.ehlo()
            if not client.has_extn("starttls"):
                raise _NoStartTls(f"{settings.smtp_host}:{settings.smtp_port} does not offer STARTTLS")
            client.starttls(context=tls_context(settings))
        except BaseException:
            client.close()
            raise
    return client


class _NoStartTls(smtplib.SMTPException):
    """security = "starttls" and the server does not offer it: nothing is sent in clear text."""


def _tls_failure(settings: MailSettings, exc: ssl.SSLError) -> str:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        hint = f"ca_file {settings.ca_file}" if settings.ca_file else "the system's CAs (set [mail] ca_file)"
        return f"TLS: the certificate of {where} is not trusted by {hint}: {exc.verify_message}"[:1000]
    return f"TLS with {where} failed: {exc}"[:1000]


def deliver(settings: MailSettings, envelope_from: str, recipients: list[str], raw: bytes) -> Delivery:
    """One SMTP transaction; never raises for what the server, the network or the password does."""
    try:
        password = secret(settings.password_env, "mail.password_env") if settings.user else None
    except ConfigError as exc:
        return Delivery("deferred", str(exc), setup=True)
    try:
        with _connect(settings) as client:
            if settings.user:
                try:
                    client.login(settings.user, password or "")
                except smtplib.SMTPAuthenticationError as exc:
                    # The password is the desk's to fix, not the mail's fault: retried later.
                    text = f"SMTP AUTH as {settings.user!r} refused: {_reply(exc.smtp_code, exc.smtp_error)}"
                    return Delivery("deferred", text, setup=True)
                except smtplib.SMTPNotSupportedError:
                    where = f"{settings.smtp_host}:{settings.smtp_port}"
                    text = f"{where} offers no SMTP AUTH (over this connection) for user {settings.user!r}"
                    return Delivery("deferred", text, setup=True)
            refused = client.sendmail(envelope_from, recipients, raw)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _m in exc.recipients.values()]
        text = "; ".join(f"{rcpt}: {_reply(c, m)}" for rcpt, (c, m) in exc.recipients.items())
        return Delivery("failed" if all(c >= 500 for c in codes) else "deferred", text)
    except smtplib.SMTPResponseException as exc:  # MAIL FROM, DATA, HELO ...: the server's reply
        return Delivery(
            "failed" if exc.smtp_code >= 500 else "deferred", _reply(exc.smtp_code, exc.smtp_error)
        )
    except _NoStartTls as exc:
        return Delivery("deferred", f"{exc}: not sent in clear text", setup=True)
    except ssl.SSLError as exc:  # before anything was sent: an untrusted or broken TLS peer
        return Delivery("deferred", _tls_failure(settings, exc), setup=True)
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        return Delivery("deferred", f"{type(exc).__name__}: {exc}"[:1000])
    if refused:
        text = "; ".join(f"{rcpt}: {_reply(c, m)}" for rcpt, (c, m) in refused.items())
        return Delivery("sent", f"some recipients refused: {text}")
    return Delivery("sent")


def backoff(settings: MailSettings, attempts: int) -> timedelta:
    seconds = settings.retry_base_seconds * (2 ** max(0, attempts - 1))
    return timedelta(seconds=min(seconds, settings.retry_max_seconds))


def send_pass(settings: Settings, db: Database, *, now: datetime | None = None) -> SendCounts:
    """Deliver every due approved row once. Refuses when ``[mail] enabled`` is false."""
    mail = settings.mail
    if not mail.enabled:
        raise ConfigError("[mail] enabled is false: nothing is sent (set it to true to send)")
    if mail.ca_file:
        mail = replace(mail, ca_file=str(settings.resolve_path(mail.ca_file)))
    counts = SendCounts()
    lease = timedelta(seconds=mail.send_lease_seconds)
    start = now or datetime.now(UTC)
    with db.session() as session:
        due = outbox_store.due_ids(session, start, lease)
    for pk in due:
        at = now or datetime.now(UTC)
        with db.session() as session:
            claimed = outbox_store.claim(session, pk, at, lease)
            if claimed is not None and claimed.interrupted > 1:
                error = "delivery interrupted twice: not sent again (it may have arrived; see docs/outbox.md)"
                outbox_store.finish(session, pk, "failed", error=error)
                _event(session, claimed.incidents, "outbox_failed", pk, claimed.kind, error)
                counts.failed += 1
                continue
        if claimed is None:
            continue
        if not claimed.raw:  # a mail that could not be signed or encrypted: approved again
            result = Delivery("failed", "nothing to send: it could not be signed or encrypted; make it again")
        else:
            result = deliver(mail, claimed.envelope_from, claimed.recipients, claimed.raw)
        done = now or datetime.now(UTC)
        with db.session() as session:
            if result.outcome == "sent":
                outbox_store.finish(session, pk, "sent", error=result.detail, sent_at=done)
                _event(session, claimed.incidents, "outbox_sent", pk, claimed.kind, result.detail)
                counts.sent += 1
            elif result.outcome == "deferred" and claimed.attempts < mail.max_attempts:
                outbox_store.finish(
                    session,
                    pk,
                    "approved",
                    error=result.detail,
                    next_attempt_at=done + backoff(mail, claimed.attempts),
                )
                counts.deferred += 1
            else:
                outbox_store.finish(session, pk, "failed", error=result.detail)
                _event(session, claimed.incidents, "outbox_failed", pk, claimed.kind, result.detail)
                counts.failed += 1
        log.info("outbox %d: %s%s", pk, result.outcome, f" ({result.detail})" if result.detail else "")
        if result.setup:
            # The next row would meet the same TLS or password problem (and repeated bad
            # logins can lock the account): the rest wait for the next pass.
            log.warning("outbox: delivery pass stopped: %s", result.detail)
            break
    return counts


def _event(
    session: Session, incidents: list[int], action: str, pk: int, kind: str, detail: str | None
) -> None:
    for incident_pk in incidents:
        incident_store.add_event(
            session, incident_pk, ACTOR, action, {"outbox": pk, "kind": kind, "detail": detail}
        )
