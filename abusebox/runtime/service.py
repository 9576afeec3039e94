"""The long-running worker: poll every enabled source on its interval until stopped.

APScheduler 3 runs one job per source (coalesced, one instance at a time, generous
misfire grace) plus the periodic jobs other parts register (digests, retention). Only
the scheduler leader of a database polls (store/leader.py); another `abusebox run` on
the same database waits and takes over when the leader goes. A stop request
(SIGINT/SIGTERM) is honoured between messages: the message in hand is finished, the
rest stay for the next run. One source's fault never stops the others.

Roles (`abusebox run --role`, docs/scaleout.md): ``all`` (the default) leads when it
can, analysing what it polls, and also works off stored `new` messages nobody holds;
``leader`` only polls (storing raw messages for the workers) and runs the scheduled
jobs; ``worker`` only claims stored `new` messages under a lease and analyses them.
"""

from __future__ import annotations

import imaplib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from imapclient.exceptions import IMAPClientError
from sqlalchemy.exc import OperationalError

from abusebox.core.choices import WORKER_ROLES
from abusebox.core.config import ConfigError, Settings, SourceSettings
from abusebox.core.errors import TransientError
from abusebox.pipeline.counts import Counts
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.runtime.imap_poll import ImapPoller
from abusebox.runtime.passes import poll_local, resume_pending
from abusebox.sources.imap import ImapSession, server_text
from abusebox.store import heartbeat
from abusebox.store import mailbox as mailbox_store
from abusebox.store.db import Database
from abusebox.store.leader import LeaderLock, leader_lock
from abusebox.store.leases import Lease

log = logging.getLogger(__name__)

LOCAL_KINDS = ("maildir", "mbox", "eml")
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
LEADER_CHECK_SECONDS = 30.0  # how often a follower tries to take over (and a leader checks its lock)
IDLE_MAX_SECONDS = 25 * 60  # RFC 2177: re-issue IDLE well within the servers' 30-minute timeout
WORK_IDLE_SECONDS = 1.0  # how long a worker waits when no stored message is free to claim
ROLES = WORKER_ROLES
Poller = Callable[[SourceSettings, Counts], None]


@dataclass(frozen=True)
class Periodic:
    """A job other parts register (digest, retention): run every `seconds`."""

    name: str
    func: Callable[[], None]
    seconds: float
    leader_only: bool = True  # most must run once per deployment, not once per process
    trigger: BaseTrigger | None = None  # a cron trigger (digests) instead of every `seconds`


class Worker:
    """Owns the scheduler, the analysis pool, the leader lock and the stop flag."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        leader: LeaderLock | None = None,
        leader_check_seconds: float = LEADER_CHECK_SECONDS,
        role: str = "all",
        lease: Lease | None = None,
    ) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        self.settings = settings
        self.db = db
        self.role = role
        self.lease = lease or Lease()
        self.store_only = role == "leader"  # the workers analyse what it stores
        self.stop = threading.Event()
        self.pool = AnalyzerPool(settings)
        self.scheduler = BackgroundScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
        self.leader = leader or leader_lock(db)
        self.is_leader = False
        self.leader_check_seconds = leader_check_seconds
        self._pool_lock = threading.Lock()  # the pool is used by one job at a time
        self._periodic: dict[str, Periodic] = {}
        self._polled_uidnext: dict[str, int] = {}  # per IMAP source, from its last poll
        self.pollers: dict[str, Poller] = {kind: self._poll_local for kind in LOCAL_KINDS}
        self.pollers["imap"] = self._poll_imap

    # -- pollers ------------------------------------------------------------------------
    def _poll_local(self, source: SourceSettings, counts: Counts) -> None:
        with self._pool_lock:
            counts.merge(
                poll_local(
                    self.settings,
                    self.db,
                    self.pool,
                    source,
                    self.stop,
                    lease=self.lease,
                    store_only=self.store_only,
                )
            )

    def _poll_imap(self, source: SourceSettings, counts: Counts) -> None:
        # Takes the pool lock only while analysing, not while waiting on the network.
        poller = ImapPoller(
            self.settings,
            self.db,
            self.pool,
            source,
            self.stop,
            self._pool_lock,
            lease=self.lease,
            store_only=self.store_only,
        )
        try:
            poller.poll(counts)
        finally:
            if poller.session.uidnext is not None:  # what IDLE compares with (see idle_wait)
                self._polled_uidnext[source.name] = poller.session.uidnext

    def poll_source(self, source: SourceSettings) -> Counts:
        """One cycle of one source, added to its counters in mailbox_state; raises on failure."""
        poller = self.pollers.get(source.kind)
        if poller is None:
            raise ConfigError(f"source {source.name!r}: no poller for sources of kind {source.kind}")
        counts = Counts()
        try:
            poller(source, counts)
        except BaseException as exc:  # recorded, then re-raised to the caller
            self._record(source, counts, f"{type(exc).__name__}: {exc}")
            raise
        self._record(source, counts, counts.problem())
        return counts

    def _record(self, source: SourceSettings, counts: Counts, error: str | None) -> None:
        try:
            with self.db.session() as session:
                mailbox_store.record_cycle(session, source.name, counts, error)
        except OperationalError as exc:
            log.warning("%s: could not record the poll in the database: %s", source.name, exc.orig)

    def poll(self, source: SourceSettings) -> None:
        """The scheduler job: one cycle, one log line; never raises."""
        if self.stop.is_set() or not self.is_leader:
            return
        try:
            counts = self.poll_source(source)
        except (TransientError, OperationalError) as exc:
            log.warning("%s: poll failed, retried at the next poll: %s", source.name, exc)
            return
        except ConfigError as exc:  # e.g. the password variable is unset: no traceback needed
            log.error("%s: %s", source.name, exc)
            return
        except IMAPClientError as exc:  # a NO/BAD answer (missing folder, quota): the server's words
            log.error("%s: the IMAP server refused: %s", source.name, server_text(exc))
            return
        except Exception:  # one source's fault must not stop the worker or other sources
            log.exception("%s: poll failed", source.name)
            return
        log.info("%s: %s", source.name, counts.poll_summary())
        if counts.problem():
            log.warning("%s: %s", source.name, counts.problem())

    def _idle_loop(self, source: SourceSettings) -> None:
        """For `idle = true`: poll, then IDLE until mail arrives or the interval passes."""
        while not self.stop.is_set() and self.is_leader:
            self.poll(source)
            if self.stop.is_set() or not self._wait_for_mail(source):
                self.stop.wait(source.poll_interval_seconds)

    def _wait_for_mail(self, source: SourceSettings) -> bool:
        try:
            session = ImapSession(source, self.stop)
        except ConfigError:
            return False  # the poll has logged it
        try:
            return session.idle_wait(
                min(source.poll_interval_seconds, IDLE_MAX_SECONDS), self._polled_uidnext.get(source.name)
            )
        except (TransientError, IMAPClientError, imaplib.IMAP4.abort, OSError) as exc:
            log.info("%s: IDLE unavailable (%s); polling on the interval", source.name, exc)
            return False
        finally:
            session.disconnect()

    # -- periodic jobs and leadership ------------------------------------------------------
    def add_periodic(
        self,
        name: str,
        func: Callable[[], None],
        seconds: float,
        *,
        leader_only: bool = True,
        trigger: BaseTrigger | None = None,
    ) -> None:
        """Register a periodic job (digest, retention, ...); a duplicate name is an error."""
        if name in self._periodic:
            raise ValueError(f"periodic job {name!r} is already registered")
        job = Periodic(name, func, seconds, leader_only, trigger)
        self._periodic[name] = job
        if self.scheduler.running and (self.is_leader or not leader_only):
            self._schedule_periodic(job)

    def _schedule_periodic(self, job: Periodic) -> None:
        if job.trigger is not None:
            self.scheduler.add_job(self._run_periodic, job.trigger, args=[job], id=f"periodic:{job.name}")
            return
        self.scheduler.add_job(
            self._run_periodic, "interval", args=[job], seconds=job.seconds, id=f"periodic:{job.name}"
        )

    def _run_periodic(self, job: Periodic) -> None:
        if self.stop.is_set() or (job.leader_only and not self.is_leader):
            return
        try:
            job.func()
        except Exception:  # the job boundary: log with traceback, the next run tries again
            log.exception("periodic job %s failed", job.name)

    def _become_leader(self) -> None:
        self.is_leader = True
        sources = [s for s in self.settings.sources if s.enabled]
        log.info(
            "this worker is the scheduler leader (%s): polling %d sources",
            self.leader.describe(),
            len(sources),
        )
        for source in sources:
            if source.kind == "imap" and source.idle:
                self.scheduler.add_job(
                    self._idle_loop, "date", args=[source], run_date=_now(), id=f"poll:{source.name}"
                )
            else:
                self.scheduler.add_job(
                    self.poll,
                    "interval",
                    args=[source],
                    seconds=source.poll_interval_seconds,
                    id=f"poll:{source.name}",
                    next_run_time=_now(),
                )
        if not sources:
            log.warning("no enabled sources configured: nothing to poll")
        for job in self._periodic.values():
            if job.leader_only:
                self._schedule_periodic(job)

    def _step_down(self) -> None:
        self.is_leader = False
        for job in self.scheduler.get_jobs():
            leader_job = job.id.startswith("poll:") or (
                job.id.startswith("periodic:") and self._periodic[job.id.split(":", 1)[1]].leader_only
            )
            if leader_job:
                job.remove()

    def _check_leadership(self) -> None:
        try:
            if self.is_leader:
                if not self.leader.held():
                    log.warning("lost the scheduler lock: not polling until it is ours again")
                    self._step_down()
            elif self.leader.try_acquire():
                self._become_leader()
            if self.is_leader:
                self._beat()
        except OperationalError as exc:
            log.warning("cannot check the scheduler lock: %s", exc.orig)

    def _beat(self) -> None:
        """Tell other processes (/healthz) that this one leads: a row, not the lock itself."""
        try:
            with self.db.session() as session:
                heartbeat.beat(session, f"{socket.gethostname()}:{os.getpid()}")
        except OperationalError as exc:
            log.warning("cannot write the leader heartbeat: %s", exc.orig)

    # -- working off stored messages -----------------------------------------------------------
    def work(self) -> int:
        """Claim, analyse and commit stored `new` messages nobody holds; how many were committed."""
        with self._pool_lock:
            return resume_pending(self.settings, self.db, self.pool, lease=self.lease, stop=self.stop.is_set)

    def _work_safely(self) -> int:
        try:
            done = self.work()
        except (TransientError, OperationalError) as exc:
            log.warning("cannot work off stored messages now, retried shortly: %s", exc)
            return 0
        except Exception:  # the loop's boundary: log with traceback, try again after a pause
            log.exception("working off stored messages failed")
            return 0
        if done:
            log.info("analysed %d stored messages (%s)", done, self.lease.worker)
        return done

    # -- life cycle ------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        def handle(signum: int, _frame: object) -> None:
            log.info("received %s: finishing the message in hand, then stopping", signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGINT, handle)
        signal.signal(signal.SIGTERM, handle)

    def run_forever(self) -> None:
        self.scheduler.start()
        try:
            if self.role != "worker":
                if self.leader.try_acquire():
                    self._become_leader()
                    self._beat()
                else:
                    log.warning(
                        "not polling: another abusebox worker is the scheduler leader (%s); "
                        "this one serves and takes over if that one stops",
                        self.leader.describe(),
                    )
                self.scheduler.add_job(
                    self._check_leadership, "interval", seconds=self.leader_check_seconds, id="leader-check"
                )
            for job in self._periodic.values():
                if not job.leader_only:
                    self._schedule_periodic(job)
            log.info("worker running (role %s); stop with Ctrl-C or SIGTERM", self.role)
            # The main thread works off stored messages (all, worker); the scheduler polls.
            while not self.stop.is_set():
                busy = self.role != "leader" and self._work_safely() > 0
                if not busy:
                    self.stop.wait(WORK_IDLE_SECONDS)
        finally:
            self.stop.set()
            self.scheduler.shutdown(wait=True)
            self.close()
            log.info("worker stopped")

    def close(self) -> None:
        self.leader.release()
        self.pool.close()


def _now() -> datetime:
    return datetime.now(UTC)


__all__ = ["ROLES", "Periodic", "Worker"]
