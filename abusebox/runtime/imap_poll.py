"""One poll of one IMAP source: find new UIDs, fetch in batches, store, analyse, move.

Order per batch, chosen so that nothing is lost at any crash point:
  UID FETCH BODY.PEEK[] (never sets \\Seen) -> log out -> commit raw bytes + ledger row
  -> analyse and commit -> reconnect -> UID MOVE the finished ones.
A crash before the commit leaves the UID out of the ledger: the next poll fetches it
again. A crash after it leaves a ledger row not yet moved: the next poll moves it
(re-analysing it first if analysis had not finished), without a second report.

The connection is logged out while a batch is processed (analysis may take minutes on
hostile mail, longer than servers and NAT boxes keep an idle connection) and opened
again for the moves and the next FETCH; every reconnect re-checks UIDVALIDITY.

A database outage (TransientError or OperationalError) ends the poll before any move,
so the server is left as it was and the next poll retries.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from functools import partial
from urllib.parse import quote

from imapclient import IMAPClient
from sqlalchemy.orm import Session

from abusebox.core.config import Settings, SourceSettings
from abusebox.core.models import RawMessage
from abusebox.pipeline.counts import Counts, IngestResult
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.sources.imap import ImapSession, StepBreaksConnection
from abusebox.sources.move import CopyAttempt, MoveMethod, move
from abusebox.store import mailbox as mailbox_store
from abusebox.store.db import Database
from abusebox.store.leases import Lease

log = logging.getLogger(__name__)

CRASH_ENV = "ABUSEBOX_TEST_CRASH_AT"
MAX_BATCH_BYTES = 64 * 1024 * 1024  # bounds memory per FETCH whatever batch_size says
SIZE_CHUNK = 1000  # UIDs per RFC822.SIZE FETCH: keeps command lines short
FETCH_BREAKS_BEFORE_SPLIT = 2  # a batch FETCH that breaks fresh connections this often is halved
MOVE_NOTES: dict[MoveMethod, str] = {
    "move": "UID MOVE",
    "copy-expunge": "UID COPY + \\Deleted + UID EXPUNGE (server lacks MOVE)",
    "copy": "copied only; the original stays in the folder (server lacks MOVE and UIDPLUS)",
}


def fault_point(name: str) -> None:
    """Test-only fault injection: with ABUSEBOX_TEST_CRASH_AT=<name> the process SIGKILLs itself here.

    Points: `before_fetch`, `after_fetch` (fetched, nothing committed), `before_move`
    (committed, not moved). Tests use it to prove that a crash at each point loses nothing.
    """
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def source_id(source: SourceSettings, uidvalidity: int, uid: int) -> str:
    """An RFC 5092 IMAP URL naming exactly this message."""
    mailbox = f"{quote(source.folder)};UIDVALIDITY={uidvalidity}"
    return f"imap://{quote(source.user or '')}@{source.host}/{mailbox}/;UID={uid}"


class ImapPoller:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        pool: AnalyzerPool,
        source: SourceSettings,
        stop: threading.Event,
        pool_lock: threading.Lock,
        *,
        lease: Lease | None = None,
        store_only: bool = False,
    ) -> None:
        self.lease = lease
        self.store_only = store_only  # --role leader: store raw, the workers analyse
        self.settings = settings
        self.db = db
        self.pool = pool
        self.source = source
        self.stop = stop
        self.pool_lock = pool_lock  # the analysis pool serves one job at a time
        self.session = ImapSession(source, stop)

    def poll(self, counts: Counts) -> None:
        """One cycle; `counts` is filled as it goes, so a failed cycle still reports its work."""
        try:
            self._poll(counts)
        finally:
            self.session.disconnect()

    def _poll(self, counts: Counts) -> None:
        src, folder = self.source, self.source.folder
        uids: list[int] = self.session.call("UID SEARCH", lambda c: c.search("ALL"))
        uidvalidity = self.session.uidvalidity
        assert uidvalidity is not None
        with self.db.session() as db_session:
            previous = mailbox_store.note_uidvalidity(db_session, src.name, folder, uidvalidity)
            known = mailbox_store.ledger(db_session, src.name, folder, uidvalidity, uids)
        if previous is not None:
            log.warning(
                "%s: UIDVALIDITY of %s changed from %d to %d: every message there counts as new; "
                "the sha256 ledger keeps them from being reported twice",
                src.name,
                folder,
                previous,
                uidvalidity,
            )
        unfinished = [e.message_pk for e in known.values() if e.status == "new"]
        if unfinished and not self.store_only:
            log.info("%s: finishing %d messages stored by an earlier poll", src.name, len(unfinished))
            self.session.disconnect()  # not held idle while they are analysed
            self._replay(unfinished, counts)
        if src.move:
            self._move([e.uid for e in known.values() if not e.moved], uidvalidity, counts)
        unknown = sorted(set(uids) - known.keys())
        for batch in self._batches(unknown):
            if self.stop.is_set():
                return
            fault_point("before_fetch")
            fetched = self._fetch(batch, counts)
            self.session.disconnect()  # not held idle while the batch is analysed
            fault_point("after_fetch")
            counts.fetched += len(fetched)
            self._ingest(fetched, uidvalidity, counts)
            fault_point("before_move")
            if src.move:
                self._move(batch, uidvalidity, counts)

    def _fetch(self, uids: list[int], counts: Counts) -> dict[int, bytes]:
        """UID FETCH BODY.PEEK[] of a batch; a message the server cannot deliver is skipped.

        Dovecot answers a message it cannot read (a damaged or unreadable file) with BYE,
        for the whole command: halving the batch isolates that message, which stays on
        the server (retried next poll) and is reported, instead of blocking the mailbox.
        """
        try:
            return self.session.call(
                "UID FETCH", lambda c: _fetch_bodies(c, uids), give_up_after=FETCH_BREAKS_BEFORE_SPLIT
            )
        except StepBreaksConnection as exc:
            if len(uids) == 1:
                log.error(
                    "%s: UID %d of %s cannot be fetched (%s); it stays on the server",
                    self.source.name,
                    uids[0],
                    self.source.folder,
                    exc.__cause__,
                )
                counts.unfetchable.append(uids[0])
                return {}
        half = len(uids) // 2
        return {**self._fetch(uids[:half], counts), **self._fetch(uids[half:], counts)}

    def _batches(self, uids: list[int]) -> list[list[int]]:
        """Split new UIDs into FETCH batches of at most batch_size UIDs and MAX_BATCH_BYTES."""
        sizes: dict[int, int] = {}
        for start in range(0, len(uids), SIZE_CHUNK):
            chunk = uids[start : start + SIZE_CHUNK]
            answer = self.session.call("UID FETCH RFC822.SIZE", partial(_fetch_sizes, uids=chunk))
            sizes.update(answer)
        batches: list[list[int]] = []
        batch: list[int] = []
        total = 0
        for uid in uids:
            if uid not in sizes:  # expunged since the SEARCH
                continue
            if batch and (len(batch) >= self.source.batch_size or total + sizes[uid] > MAX_BATCH_BYTES):
                batches.append(batch)
                batch, total = [], 0
            batch.append(uid)
            total += sizes[uid]
        if batch:
            batches.append(batch)
        return batches

    def _ingest(self, fetched: dict[int, bytes], uidvalidity: int, counts: Counts) -> None:
        src = self.source
        uid_of: dict[str, int] = {}
        items: list[RawMessage] = []
        for uid in sorted(fetched):
            item = RawMessage(fetched[uid], src.name, source_id(src, uidvalidity, uid))
            uid_of[item.source_id] = uid
            items.append(item)

        def on_stored(session: Session, stored: list[tuple[RawMessage, int]]) -> None:
            # In the transaction that commits the raw bytes: the ledger knows each UID
            # from the moment its bytes are kept.
            batch = [(uid_of[item.source_id], pk) for item, pk in stored]
            mailbox_store.record_items(session, src.name, src.folder, uidvalidity, batch)

        pipeline = Pipeline(self.settings, self.db, self.pool, lease=self.lease)
        if self.store_only:
            for result in pipeline.store(self._until_stopped(items), on_stored=on_stored):
                counts.add(result)
            return
        with self.pool_lock:
            for result in pipeline.ingest(self._until_stopped(items), on_stored=on_stored):
                counts.add(result)
                _log_result(src.name, result)

    def _replay(self, pks: list[int], counts: Counts) -> None:
        with self.pool_lock:
            for result in Pipeline(self.settings, self.db, self.pool, lease=self.lease).replay(
                pks, actor="imap-resume"
            ):
                counts.add(result)
                _log_result(self.source.name, result)

    def _until_stopped(self, items: list[RawMessage]) -> Iterator[RawMessage]:
        for item in items:
            if self.stop.is_set():  # honoured between messages: the one in hand is finished
                return
            yield item

    def _move(self, uids: list[int], uidvalidity: int, counts: Counts) -> None:
        """Move finished messages by UID to the processed or quarantine folder."""
        src = self.source
        with self.db.session() as db_session:
            entries = mailbox_store.ledger(db_session, src.name, src.folder, uidvalidity, uids)
        targets: dict[str, list[int]] = {src.processed_folder: [], src.quarantine_folder: []}
        for entry in entries.values():
            if entry.moved or entry.status == "new":  # not finished: stays for the next poll
                continue
            target = src.processed_folder if entry.status == "processed" else src.quarantine_folder
            targets[target].append(entry.uid)
        for target, group in targets.items():
            if not group:
                continue

            attempt = CopyAttempt(uidvalidity)  # shared by the retries of this move

            def step(
                client: IMAPClient, t: str = target, g: list[int] = group, a: CopyAttempt = attempt
            ) -> MoveMethod:
                a.source_folder = self.session.server_name(src.folder, client)
                return move(client, g, self.session.ensure_folder(client, t), a)

            method = self.session.call(f"UID MOVE to {target}", step)
            with self.db.session() as db_session:
                mailbox_store.record_moves(
                    db_session, src.name, src.folder, uidvalidity, group, target, MOVE_NOTES[method]
                )
            counts.moved += len(group)
            if method == "copy":
                log.warning("%s: %s", src.name, MOVE_NOTES[method])


def _fetch_bodies(client: IMAPClient, uids: list[int]) -> dict[int, bytes]:
    # IMAPClient's fetch filters its answer by the UIDs it was given, so it needs ints.
    answer = client.fetch(uids, [b"BODY.PEEK[]"])  # PEEK: \Seen stays as the humans left it
    wanted = set(uids)  # unsolicited FETCH responses (flag changes) may name other UIDs
    return {uid: data.get(b"BODY[]") or b"" for uid, data in answer.items() if uid in wanted}


def _fetch_sizes(client: IMAPClient, uids: list[int]) -> dict[int, int]:
    answer = client.fetch(uids, [b"RFC822.SIZE"])
    return {uid: int(data.get(b"RFC822.SIZE") or 0) for uid, data in answer.items()}


def _log_result(source: str, result: IngestResult) -> None:
    if result.outcome == "quarantined":
        log.warning("%s: %s quarantined: %s", source, result.label, result.reason)


__all__ = ["CRASH_ENV", "ImapPoller", "fault_point", "source_id"]
