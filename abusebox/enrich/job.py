"""The enrichment job: work the queue, answer from the cache or ipwhois, write incidents.

Ingest only enqueues (a cheap upsert in the grouping transaction); this job does the
lookups outside any transaction, so a slow or banned registry never holds a lock or a
message. Failures reschedule the address with exponential backoff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from abusebox.core.config import EnrichmentSettings, Settings
from abusebox.enrich.ratelimit import RegistryCoolingDown, RegistryLimiter
from abusebox.enrich.rdap import MAX_CONTACTS, LookupFailed, NotRoutable, RateLimited, RdapClient
from abusebox.store import enrichment as store
from abusebox.store.base import utcnow
from abusebox.store.db import Database
from abusebox.store.incidents import add_event

log = logging.getLogger(__name__)

ACTOR = "enrichment"


class Lookup(Protocol):
    def lookup(self, ip: str) -> store.NetworkInfo: ...


@dataclass
class EnrichmentRun:
    looked_up: int = 0
    from_cache: int = 0
    retried: int = 0
    given_up: int = 0
    skipped: int = 0
    incidents: list[int] = field(default_factory=list)
    offline: bool = False

    def summary(self) -> str:
        if self.offline:
            return "offline mode: no lookups"
        return (
            f"looked up {self.looked_up}, from cache {self.from_cache}, retry later {self.retried}, "
            f"given up {self.given_up}, not routable {self.skipped}, incidents enriched {len(self.incidents)}"
        )


def make_client(settings: EnrichmentSettings) -> RdapClient:
    limiter = RegistryLimiter(settings.registry_min_interval_seconds, settings.registry_cooldown_seconds)
    return RdapClient(settings, limiter)


def backoff(settings: EnrichmentSettings, attempts: int, at_least: float = 0.0) -> timedelta:
    """Exponential: base * 2^(attempts-1), capped; never shorter than ``at_least``."""
    seconds = min(settings.max_retry_seconds, settings.retry_base_seconds * 2 ** max(0, attempts - 1))
    return timedelta(seconds=max(seconds, at_least))


def run_enrichment(
    settings: Settings,
    db: Database,
    *,
    client: Lookup | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> EnrichmentRun:
    """Process the due part of the queue once; the scheduler calls this periodically."""
    cfg = settings.enrichment
    run = EnrichmentRun()
    now = now or utcnow()
    with db.session() as session:
        items = store.due(session, now, limit or cfg.batch_size)
    for item in items:
        with db.session() as session:
            hit = store.cached(session, item.ip, now)
            if hit is not None:
                enrichment_pk, info = hit
                run.incidents += apply(session, item.ip, info, "cache")
                store.finish(session, item.pk, "done", enrichment_pk)
                run.from_cache += 1
                continue
        if cfg.offline:
            run.offline = True
            continue
        if client is None:
            client = make_client(cfg)
        try:
            _lookup_one(settings, db, client, item, now, run)
        except Exception as exc:  # the per-address boundary: see _unexpected
            _unexpected(settings, db, item, now, run, exc)
    return run


def _unexpected(
    settings: Settings, db: Database, item: store.QueueItem, now: datetime, run: EnrichmentRun, exc: Exception
) -> None:
    """An answer ipwhois (or our picking) could not handle: log it with the traceback and
    back the address off like any failure, so one odd registry answer never stops the
    job nor sits at the head of the queue, retried first on every run."""
    log.exception("enrichment of %s failed unexpectedly", item.ip)
    cfg = settings.enrichment
    attempts = item.attempts + 1
    give_up = attempts >= cfg.max_retries
    with db.session() as session:
        store.reschedule(
            session,
            item.pk,
            attempts=attempts,
            next_at=now + backoff(cfg, attempts),
            error=f"unexpected {type(exc).__name__}: {exc}",
            give_up=give_up,
        )
    if give_up:
        run.given_up += 1
    else:
        run.retried += 1


def _lookup_one(
    settings: Settings, db: Database, client: Lookup, item: store.QueueItem, now: datetime, run: EnrichmentRun
) -> None:
    cfg = settings.enrichment
    try:
        info = client.lookup(item.ip)
    except NotRoutable as exc:
        with db.session() as session:
            store.finish(session, item.pk, "skipped", None, str(exc))
        run.skipped += 1
        return
    except (RegistryCoolingDown, RateLimited, LookupFailed) as exc:
        attempts = item.attempts + 1
        floor = cfg.registry_cooldown_seconds if isinstance(exc, RateLimited) else 0.0
        if isinstance(exc, RegistryCoolingDown):
            floor = exc.wait_seconds
            attempts = item.attempts  # not our attempt's fault: the registry is resting
        give_up = attempts >= cfg.max_retries
        log.info("enrichment of %s failed (attempt %d): %s", item.ip, attempts, exc)
        with db.session() as session:
            store.reschedule(
                session,
                item.pk,
                attempts=attempts,
                next_at=now + backoff(cfg, attempts, floor),
                error=f"{type(exc).__name__}: {exc}",
                give_up=give_up,
            )
        if give_up:
            run.given_up += 1
        else:
            run.retried += 1
        return
    with db.session() as session:
        ttl = timedelta(hours=cfg.cache_ttl_hours)
        enrichment_pk = store.store_info(session, info, now, now + ttl)
        run.incidents += apply(session, item.ip, info, "rdap")
        store.finish(session, item.pk, "done", enrichment_pk)
    run.looked_up += 1


def apply(session: Session, ip: str, info: store.NetworkInfo, origin: str) -> list[int]:
    """Write the network facts onto the external incidents of ``ip`` (with an event).

    An incident without a network takes them whole. One already enriched with this
    network is refreshed where the registry changed its answer (the cache expired).
    One enriched with another network (a prefix or merged incident spanning several)
    keeps its network and gains this network's abuse contacts, so nobody is left out
    of the notification. Nothing changed, nothing written: no empty log entries.
    """
    touched = []
    for incident in store.external_incidents_of(session, ip):
        before = (
            incident.network,
            incident.network_name,
            incident.asn,
            incident.country,
            list(incident.abuse_contacts or []),
        )
        contacts = list(info.abuse_contacts)
        if incident.network is None or incident.network == info.network:
            incident.asn = info.asn
            incident.country = info.country
            incident.network = info.network
            incident.network_name = info.name
            what = "enriched"
        else:
            contacts = list(dict.fromkeys([*before[4], *info.abuse_contacts]))[: 2 * MAX_CONTACTS]
            what = "enriched-more"
        incident.abuse_contacts = contacts
        after = (incident.network, incident.network_name, incident.asn, incident.country, contacts)
        if after == before:
            continue
        add_event(
            session,
            incident.id,
            ACTOR,
            what,
            {
                "ip": ip,
                "network": info.network,
                "name": info.name,
                "asn": info.asn,
                "country": info.country,
                "registry": info.rir,
                "abuse_contacts": list(info.abuse_contacts),
                "from": origin,
            },
        )
        touched.append(incident.id)
    return touched
