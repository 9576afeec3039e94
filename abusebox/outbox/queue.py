"""Put a composed mail into the outbox: the bytes are fixed here, with their Message-ID."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.outbox.compose import Outgoing, build, one_line, to_bytes
from abusebox.pgp.sign import OutgoingPgpError, protect_outgoing
from abusebox.store import incidents as incident_store
from abusebox.store import outbox as outbox_store


def compose(settings: Settings, out: Outgoing) -> tuple[str, bytes]:
    """(the subject as sent, the exact bytes), signed and encrypted as ``[pgp]`` says."""
    msg = build(out, settings.mail)
    subject = str(msg["Subject"])
    if settings.pgp.enabled and (settings.pgp.sign_outgoing or settings.pgp.encrypt_to):
        msg = protect_outgoing(msg, list(out.to), settings.pgp)
    return subject, to_bytes(msg)


def enqueue(
    session: Session,
    settings: Settings,
    out: Outgoing,
    *,
    kind: str,
    status: str,
    actor: str,
    envelope_from: str | None = None,
    language: str | None = None,
    rule: str | None = None,
    cap_key: str | None = None,
    answers_message_pk: int | None = None,
    incidents: tuple[int, ...] = (),
    reports: tuple[int, ...] = (),
    now: datetime | None = None,
) -> int:
    """Store ``out`` as an outbox row (signed/encrypted as ``[pgp]`` says) and log it on its incidents.

    When ``[pgp]`` cannot sign or encrypt it (no usable key for a recipient in
    ``encrypt_to``), the row is ``failed`` with the reason and holds nothing to send.

    ``envelope_from`` defaults to ``[mail] from_address``; "" is the null sender (RFC 3834).
    """
    error: str | None = None
    try:
        subject, raw = compose(settings, out)
    except OutgoingPgpError as exc:
        # Never the mail unsigned or in the clear instead: a `failed` row with nothing to
        # send tells the desk (the decision that made it still commits).
        subject, raw, status = one_line(out.subject, 400), b"", "failed"
        error = f"not sent: {exc} (fix [pgp] or the keyring, then make the mail again)"[:1000]
    at = now or datetime.now(UTC)
    pk = outbox_store.add(
        session,
        outbox_store.NewMail(
            kind=kind,
            status=status,
            recipients=list(out.to),
            envelope_from=settings.mail.from_address if envelope_from is None else envelope_from,
            subject=subject,
            body=out.body,
            raw=raw,
            message_id=out.message_id,
            created_by=actor,
            language=language,
            rule=rule,
            cap_key=cap_key,
            answers_message_pk=answers_message_pk,
            incidents=incidents,
            reports=reports,
            error=error,
        ),
        at,
    )
    for incident_pk in incidents:
        incident_store.add_event(
            session, incident_pk, actor, "outbox_created", {"outbox": pk, "kind": kind, "status": status}
        )
        if error:
            detail = {"outbox": pk, "kind": kind, "detail": error}
            incident_store.add_event(session, incident_pk, actor, "outbox_failed", detail)
    return pk
