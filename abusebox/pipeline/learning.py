"""What triage learns from the desk: known senders, known keys, a trained classifier.

The desk's decisions are the `reclassified` message events (the audit log is the
source of truth). ``load_learned`` turns them into a ``LearnedSignals`` snapshot:
small, picklable, handed to the analysis processes with each refresh.
``LearnedCache`` reloads it only when a new decision has been recorded.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections import Counter

from sqlalchemy.orm import Session

from abusebox.core.config import Settings
from abusebox.core.errors import LimitExceeded
from abusebox.parsing.mime import parse_message
from abusebox.store.db import Database
from abusebox.store.decisions import decided_messages, decision_details, decision_stamp
from abusebox.triage.classifier import NaiveBayes
from abusebox.triage.signals import LearnedSignals, document_tokens
from abusebox.triage.text import own_text

log = logging.getLogger(__name__)


def desk_decisions(session: Session, limit: int) -> dict[int, str]:
    """message pk -> the desk's latest verdict, for the newest ``limit`` messages decided."""
    latest: dict[int, str] = {}
    for pk, detail in decision_details(session):
        verdict = (detail or {}).get("to")
        if isinstance(verdict, str):
            latest.pop(pk, None)  # re-insert: dict order = order of the latest decision
            latest[pk] = verdict
    keep = list(latest)[-limit:] if limit > 0 else []
    return {pk: latest[pk] for pk in keep}


def load_learned(session: Session, settings: Settings) -> LearnedSignals:
    """Build the snapshot from the stored desk decisions (parses each decided message)."""
    stamp = decision_stamp(session)
    decisions = desk_decisions(session, settings.triage.classifier_max_examples)
    if not decisions:
        return LearnedSignals(stamp=stamp)
    senders: dict[str, Counter[str]] = {}
    keys: dict[str, Counter[str]] = {}
    examples: list[tuple[set[str], str]] = []
    for decided in decided_messages(session, list(decisions)):
        verdict = decisions[decided.pk]
        if decided.raw is None:  # pruned by retention: nothing left to learn from
            continue
        try:
            parsed = parse_message(decided.raw, settings.limits)
        except LimitExceeded as exc:
            log.info("desk decision on message %s not learned from: %s", decided.pk, exc)
            continue
        sender = (parsed.from_addr or decided.reporter or "").lower()
        if sender:
            senders.setdefault(sender, Counter())[verdict] += 1
        # Only a verified signature (the From address's own key, the whole message) names a key.
        if decided.fingerprint and decided.verified:
            keys.setdefault(decided.fingerprint.upper(), Counter())[verdict] += 1
        examples.append((document_tokens(own_text(parsed), parsed.from_addr), verdict))
    classifier = NaiveBayes.train(examples) if examples else None
    return LearnedSignals(
        senders={k: dict(v) for k, v in senders.items()},
        fingerprints={k: dict(v) for k, v in keys.items()},
        classifier=classifier,
        examples=len(examples),
        stamp=stamp,
    )


class LearnedCache:
    """The current snapshot, rebuilt when a new decision appears (checked every few seconds)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._snapshot: LearnedSignals | None = None
        self._checked = 0.0

    def invalidate(self) -> None:
        self._checked = 0.0

    def get(self, session: Session) -> LearnedSignals:
        """The snapshot, checked against the decisions ``session`` sees every few seconds."""
        now = time.monotonic()
        interval = self.settings.triage.learned_refresh_seconds
        if self._snapshot is not None and self._checked and now - self._checked < interval:
            return self._snapshot
        self._checked = now
        stamp = decision_stamp(session)
        if self._snapshot is None or self._snapshot.stamp != stamp:
            self._snapshot = load_learned(session, self.settings)
        return self._snapshot


_SHARED: weakref.WeakKeyDictionary[Database, LearnedCache] = weakref.WeakKeyDictionary()


def shared_cache(db: Database, settings: Settings) -> LearnedCache:
    """The cache of one Database handle: pipelines built per poll share it (no reload per poll)."""
    cache = _SHARED.get(db)
    if cache is None or cache.settings is not settings:
        cache = _SHARED[db] = LearnedCache(settings)
    return cache
