"""The desk's read model of reporters: their reports, the keys that signed them, whether the
desk trusts a key for them (``keys trust``), the keyring's keys for the address, and the
acknowledgements sent to them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.errors import AbuseboxError
from abusebox.core.models import format_utc
from abusebox.pgp.gpg import home_path, open_keyring
from abusebox.pgp.keys import KeyInfo, list_keys
from abusebox.pgp.trust import TrustBinding, TrustFileError, load_bindings
from abusebox.store import reporters as store
from abusebox.store.reporters import AckRow, KeySeen, ReporterReport, ReporterSummary

log = logging.getLogger(__name__)


def _bindings(settings: Settings) -> list[TrustBinding]:
    try:
        return load_bindings(home_path(settings.pgp))
    except TrustFileError as exc:
        log.warning("reporters page: %s", exc)
        return []


def summary_json(r: ReporterSummary, trusted: bool) -> dict[str, Any]:
    return {
        "address": r.address,
        "reports": r.reports,
        "first_report_at": format_utc(r.first_at),
        "last_report_at": format_utc(r.last_at),
        "signed_reports": r.signed,
        "acks_sent": r.acks,
        "trusted": trusted,
    }


@dataclass(frozen=True)
class ReporterList:
    rows: list[tuple[ReporterSummary, bool]]  # (summary, a trust binding matches)
    total: int


def reporter_list(
    session: Session, settings: Settings, *, contains: str | None = None, limit: int = 100, offset: int = 0
) -> ReporterList:
    rows, total = store.list_reporters(session, contains=contains, limit=limit, offset=offset)
    bindings = _bindings(settings)
    return ReporterList([(r, any(b.matches(r.address) for b in bindings)) for r in rows], total)


@dataclass(frozen=True)
class ReporterDetail:
    address: str
    summary: ReporterSummary | None
    reports: list[ReporterReport]
    keys_seen: list[KeySeen]
    trust: list[TrustBinding]
    keyring: list[KeyInfo] = field(default_factory=list)
    keyring_error: str | None = None
    acks: list[AckRow] = field(default_factory=list)

    def trusted(self, fingerprint: str) -> bool:
        return any(b.fingerprint.upper() == fingerprint.upper() for b in self.trust)


def reporter_detail(session: Session, settings: Settings, address: str) -> ReporterDetail | None:
    address = address.strip().casefold()[:320]
    matches, _ = store.list_reporters(session, contains=address, limit=50)
    summary = next((r for r in matches if r.address == address), None)
    if summary is None:
        return None
    keyring: list[KeyInfo] = []
    error = None
    try:
        keyring = [k for k in list_keys(open_keyring(settings.pgp), [address]) if address in k.addresses()]
    except (AbuseboxError, OSError) as exc:  # no gpg, no keyring: the page still answers
        error = str(exc)[:300]
    return ReporterDetail(
        address,
        summary,
        store.reporter_reports(session, address),
        store.reporter_keys(session, address),
        [b for b in _bindings(settings) if b.matches(address)],
        keyring,
        error,
        store.reporter_acks(session, address),
    )
