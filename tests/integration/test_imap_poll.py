"""IMAP polling against a real Dovecot: ledger, batches, moves, UIDVALIDITY, faults."""

from __future__ import annotations

import imaplib
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from imap_server import DovecotServer, Mailbox, make_report
from imapclient import IMAPClient
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.orm import Session

from abusebox.core.config import LimitSettings, Settings, SourceSettings
from abusebox.runtime import imap_poll
from abusebox.runtime.service import Worker
from abusebox.sources.imap import ImapSession, ImapUnavailable
from abusebox.store import mailbox as mailbox_store
from abusebox.store.db import Database
from abusebox.store.mailbox import SourceState
from abusebox.store.schema import MailboxItemRow, MessageRow, ObservationRow, ReportRow


def source_states(db: Database) -> list[SourceState]:
    with db.session() as session:
        return mailbox_store.source_states(session)


PROCESSED = "abusebox.processed"  # "abusebox/processed" in Dovecot's Maildir++ hierarchy
QUARANTINE = "abusebox.quarantine"


def with_source(settings: Settings, *sources: SourceSettings) -> Settings:
    return replace(settings, sources=list(sources))


@pytest.fixture
def worker(settings: Settings, db: Database) -> Iterator[Worker]:
    w = Worker(settings, db)
    w.is_leader = True
    yield w
    w.close()


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_500_messages_stored_once_moved_and_second_poll_finds_nothing(
    mailbox: Mailbox, settings: Settings, db: Database
) -> None:
    mailbox.append(range(500))
    source = mailbox.source()
    settings = replace(settings, limits=replace(settings.limits, worker_processes=2))
    w = Worker(with_source(settings, source), db)
    try:
        first = w.poll_source(source)
        assert (first.fetched, first.new, first.duplicate, first.quarantined, first.moved) == (
            500,
            500,
            0,
            0,
            500,
        )
        assert count(db, MessageRow) == 500
        assert count(db, ReportRow) == 500
        assert count(db, MailboxItemRow) == 500
        assert mailbox.count("INBOX") == 0
        assert mailbox.count(PROCESSED) == 500
        second = w.poll_source(source)
        assert second.poll_summary() == "fetched 0, new 0, duplicate 0, quarantined 0, moved 0"
    finally:
        w.close()
    state = {s.source: s for s in source_states(db)}["abuse"]
    assert (state.fetched, state.new, state.moved, state.errors) == (500, 500, 500, 0)
    assert state.last_success_at is not None


def test_seen_messages_are_processed_and_unseen_stay_unseen(
    mailbox: Mailbox, worker: Worker, db: Database
) -> None:
    mailbox.append(range(6))
    client = mailbox.client()
    client.select_folder("INBOX")
    uids = client.search("ALL")
    client.add_flags(uids[:3], [b"\\Seen"])  # a person read three of them
    client.logout()

    counts = worker.poll_source(mailbox.source(move=False))

    assert (counts.fetched, counts.new) == (6, 6)
    client = mailbox.client()
    client.select_folder("INBOX", readonly=True)
    flags = client.get_flags(uids)
    client.logout()
    assert [b"\\Seen" in flags[uid] for uid in uids] == [True] * 3 + [False] * 3  # BODY.PEEK[]
    assert mailbox.count("INBOX") == 6  # move = false leaves the mailbox untouched
    again = worker.poll_source(mailbox.source(move=False))
    assert again.fetched == 0


def test_quarantined_messages_go_to_the_quarantine_folder(
    mailbox: Mailbox, settings: Settings, db: Database
) -> None:
    mailbox.append(range(3))
    client = mailbox.client()
    client.append("INBOX", make_report(99) + b"x" * 20000)  # over the size limit below
    client.logout()
    small = replace(settings, limits=LimitSettings(worker_processes=1, max_message_bytes=10000))
    w = Worker(small, db)
    try:
        counts = w.poll_source(mailbox.source())
    finally:
        w.close()
    assert (counts.new, counts.quarantined, counts.moved) == (4, 1, 4)
    assert mailbox.count(PROCESSED) == 3
    assert mailbox.count(QUARANTINE) == 1


def test_uidvalidity_change_gives_no_duplicate_reports(
    mailbox: Mailbox, worker: Worker, db: Database
) -> None:
    client = mailbox.client()
    client.create_folder("reports")
    client.logout()
    mailbox.append(range(5), folder="reports")
    source = mailbox.source(folder="reports", move=False)
    first = worker.poll_source(source)
    assert first.new == 5
    before = source_states(db)[0].uidvalidity

    client = mailbox.client()
    client.delete_folder("reports")
    client.create_folder("reports")
    client.logout()
    mailbox.append(range(6), folder="reports")  # the same five and one more

    second = worker.poll_source(source)
    state = source_states(db)[0]
    assert state.uidvalidity != before
    assert state.uidvalidity_changes == 1
    assert (second.fetched, second.new, second.duplicate) == (6, 1, 5)
    assert count(db, ReportRow) == 6
    assert count(db, MailboxItemRow) == 11  # both generations of UIDs are in the ledger


def test_without_move_copy_deleted_uid_expunge(
    dovecot_no_move: DovecotServer, monkeypatch: pytest.MonkeyPatch, worker: Worker, db: Database
) -> None:
    from imap_server import PASSWORD, PASSWORD_ENV

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    box = Mailbox(dovecot_no_move, dovecot_no_move.add_user())
    box.append(range(4))
    counts = worker.poll_source(box.source())
    assert counts.moved == 4
    assert box.count("INBOX") == 0
    assert box.count(PROCESSED) == 4
    with db.session() as session:
        notes = set(session.scalars(select(MailboxItemRow.move_note)))
    assert notes == {imap_poll.MOVE_NOTES["copy-expunge"]}


def test_without_move_or_uidplus_copies_and_records_it(
    dovecot_no_uidplus: DovecotServer, monkeypatch: pytest.MonkeyPatch, worker: Worker, db: Database
) -> None:
    from imap_server import PASSWORD, PASSWORD_ENV

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    box = Mailbox(dovecot_no_uidplus, dovecot_no_uidplus.add_user())
    box.append(range(3))
    first = worker.poll_source(box.source())
    assert first.moved == 3
    assert box.count("INBOX") == 3  # never a plain EXPUNGE: the originals stay
    assert box.count(PROCESSED) == 3
    client = box.client()
    client.select_folder("INBOX", readonly=True)
    assert not any(b"\\Deleted" in f for f in client.get_flags(client.search("ALL")).values())
    client.logout()
    with db.session() as session:
        assert set(session.scalars(select(MailboxItemRow.move_note))) == {imap_poll.MOVE_NOTES["copy"]}
    second = worker.poll_source(box.source())
    assert (second.fetched, second.moved) == (0, 0)  # the ledger knows they were copied
    assert box.count(PROCESSED) == 3


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # about the IMAP side; one store is enough
def test_connection_dropped_mid_batch_reconnects_and_loses_nothing(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from imap_server import PASSWORD, PASSWORD_ENV

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    server = DovecotServer()
    server.start()
    try:
        box = Mailbox(server, server.add_user())
        box.append(range(30))
        seen: list[str] = []
        restarter: list[threading.Thread] = []

        def drop_once(point: str) -> None:
            seen.append(point)
            if point == "before_fetch" and seen.count("before_fetch") == 2 and not restarter:
                server.stop()  # kills the open, selected connection: the FETCH that follows fails
                thread = threading.Timer(0.5, server.start)
                thread.start()
                restarter.append(thread)

        monkeypatch.setattr(imap_poll, "fault_point", drop_once)
        w = Worker(settings, db)
        try:
            counts = w.poll_source(box.source(batch_size=10))
        finally:
            w.close()
        restarter[0].join()
        retries = [r.getMessage() for r in caplog.records if "reconnecting in" in r.getMessage()]
        assert retries and "UID FETCH failed" in retries[0]  # the drop hit the FETCH itself
        assert (counts.fetched, counts.new, counts.moved) == (30, 30, 30)
        assert box.count("INBOX") == 0
        assert box.count(PROCESSED) == 30
        assert count(db, ReportRow) == 30
    finally:
        server.close()


def test_unreachable_server_fails_the_poll_and_counts_an_error(
    mailbox: Mailbox, worker: Worker, db: Database
) -> None:
    dead = mailbox.source(name="dead", port=1, retry_max_seconds=0.3)
    with pytest.raises(ImapUnavailable):
        worker.poll_source(dead)
    worker.poll(dead)  # the scheduler job logs it and does not raise
    state = {s.source: s for s in source_states(db)}["dead"]
    assert state.errors == 2
    assert state.last_success_at is None
    assert "ImapUnavailable" in (state.last_error or "")


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # the outage is a PostgreSQL table lock
def test_database_outage_leaves_the_server_untouched(
    mailbox: Mailbox, settings: Settings, pg_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL with a short lock_timeout: a held table lock makes every store call fail."""
    url = settings.database.url + "%20-clock_timeout%3D300"
    db = Database(url)
    db.upgrade()
    mailbox.append(range(4))
    locker = create_engine(settings.database.url)
    conn = locker.connect()
    trans = conn.begin()

    def outage(point: str) -> None:
        if point == "after_fetch":  # fetched, now the database goes away
            conn.execute(text("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE"))

    monkeypatch.setattr(imap_poll, "fault_point", outage)
    w = Worker(replace(settings, database=replace(settings.database, url=url)), db)
    w.is_leader = True
    try:
        w.poll(mailbox.source())  # logged, not raised
        assert mailbox.count("INBOX") == 4
        assert mailbox.count(PROCESSED) == 0
        trans.rollback()
        conn.close()
        monkeypatch.setattr(imap_poll, "fault_point", lambda point: None)
        counts = w.poll_source(mailbox.source())
    finally:
        w.close()
        locker.dispose()
    assert (counts.fetched, counts.new, counts.moved) == (4, 4, 4)
    assert mailbox.count("INBOX") == 0
    state = source_states(db)[0]
    assert state.errors == 1
    db.dispose()


def test_idle_wait_returns_when_mail_arrives(mailbox: Mailbox) -> None:
    session = ImapSession(mailbox.source())
    timer = threading.Timer(0.3, mailbox.append, args=([1],))
    timer.start()
    started = time.monotonic()
    try:
        assert session.idle_wait(20) is True
        # idle_check makes the socket non-blocking for a while: after IDLE reads time out again.
        assert session.client().socket().gettimeout() == session.source.timeout_seconds
    finally:
        session.disconnect()
        timer.join()
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # about the IMAP side; one store is enough
@pytest.mark.parametrize("server_fixture", ["dovecot_no_move", "dovecot_no_uidplus"])
def test_connection_dropped_after_copy_never_copies_twice(
    server_fixture: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    worker: Worker,
    db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server ran the COPY but its answer was lost: the retry must not copy again."""
    from imap_server import PASSWORD, PASSWORD_ENV

    server: DovecotServer = request.getfixturevalue(server_fixture)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    box = Mailbox(server, server.add_user())
    box.append(range(4))
    real_copy = IMAPClient.copy
    dropped: list[str] = []

    def copy_then_drop(self: IMAPClient, messages: str, folder: str) -> object:
        result = real_copy(self, messages, folder)
        if not dropped:
            dropped.append(messages)
            self.shutdown()
            raise imaplib.IMAP4.abort("connection dropped before the COPY answer arrived")
        return result

    monkeypatch.setattr(IMAPClient, "copy", copy_then_drop)
    counts = worker.poll_source(box.source())

    assert dropped, "the fault was not injected"
    assert any("reconnecting in" in r.getMessage() for r in caplog.records)
    assert counts.moved == 4
    assert box.count(PROCESSED) == 4  # not 8
    assert box.count("INBOX") == (0 if server_fixture == "dovecot_no_move" else 4)
    again = worker.poll_source(box.source())
    assert (again.fetched, again.moved) == (0, 0)
    assert box.count(PROCESSED) == 4


def test_the_same_bytes_twice_in_one_poll_count_once_new_once_duplicate(
    mailbox: Mailbox, worker: Worker, db: Database
) -> None:
    mailbox.append([1, 2, 1])  # a reporter sent the identical message twice
    counts = worker.poll_source(mailbox.source())
    assert (counts.fetched, counts.new, counts.duplicate, counts.moved) == (3, 2, 1, 3)
    assert (count(db, MessageRow), count(db, ReportRow), count(db, MailboxItemRow)) == (2, 2, 3)
    assert mailbox.count(PROCESSED) == 3
    state = source_states(db)[0]
    assert (state.fetched, state.new, state.duplicates, state.moved, state.errors) == (3, 2, 1, 3, 0)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # a real outage: a PostgreSQL table lock
def test_database_outage_mid_batch_never_gives_a_message_another_ones_analysis(
    mailbox: Mailbox, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Analyses in flight when the database fails must not be handed to later messages."""
    url = settings.database.url + "%20-clock_timeout%3D300"
    db = Database(url)
    db.upgrade()
    mailbox.append(range(12))
    locker = create_engine(settings.database.url)
    conn = locker.connect()
    trans = conn.begin()
    real_record = mailbox_store.record_items

    def record_then_fail(session: Session, *args: Any) -> None:
        real_record(session, *args)
        # Once the batch's raw bytes (and these ledger rows) are committed, its analyses
        # under way: the database goes away.
        lock = text("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
        event.listen(session, "after_commit", lambda _session: conn.execute(lock), once=True)

    monkeypatch.setattr(mailbox_store, "record_items", record_then_fail)
    two = replace(
        settings,
        database=replace(settings.database, url=url),
        limits=replace(settings.limits, worker_processes=2),
    )
    w = Worker(two, db)
    w.is_leader = True
    try:
        w.poll(mailbox.source(batch_size=12))  # logged, not raised
        assert mailbox.count(PROCESSED) == 0
        trans.rollback()
        conn.close()
        monkeypatch.setattr(mailbox_store, "record_items", real_record)
        counts = w.poll_source(mailbox.source(batch_size=12))  # the same analysis pool goes on
    finally:
        w.close()
        locker.dispose()
    assert counts.moved == 12 and mailbox.count(PROCESSED) == 12
    with db.session() as session:
        rows = session.execute(
            select(MessageRow.subject, ReportRow.id, ObservationRow.ip)
            .join(ReportRow, ReportRow.message_pk == MessageRow.id)
            .join(ObservationRow, ObservationRow.report_pk == ReportRow.id)
        ).all()
    db.dispose()
    seen: dict[str, set[str]] = {}
    reports: dict[str, set[int]] = {}
    for subject, report_pk, ip in rows:
        seen.setdefault(subject, set()).add(ip)
        reports.setdefault(subject, set()).add(report_pk)
    assert len(seen) == 12
    for subject, ips in seen.items():
        offender = subject.split("from ")[1].split()[0]
        # Only the message's own offender (and the victim, which this extraction also lists).
        assert offender in ips and ips <= {offender, "198.51.100.10"}, f"{subject!r} got {ips}"
        assert len(reports[subject]) == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # about the IMAP side; one store is enough
def test_a_message_the_server_cannot_deliver_does_not_block_the_mailbox(
    mailbox: Mailbox, worker: Worker, db: Database
) -> None:
    """Dovecot says BYE to a FETCH that includes an unreadable message file."""
    mailbox.append(range(8))
    folder = mailbox.server.dir / "mail" / mailbox.user
    (damaged,) = [f for f in folder.glob("*/*") if f.is_file() and b"(case 5)" in f.read_bytes()]
    damaged.chmod(0)  # the imap process (user nobody) can no longer read it

    counts = worker.poll_source(mailbox.source(retry_max_seconds=20.0))

    assert (counts.fetched, counts.new, counts.moved) == (7, 7, 7)
    assert mailbox.count(PROCESSED) == 7
    assert mailbox.count("INBOX") == 1  # left for a person to look at, retried next poll
    state = source_states(db)[0]
    assert state.errors == 1 and "failed to deliver UID 6" in (state.last_error or "")
    (damaged,) = [f for f in folder.glob("*/*") if f.is_file() and f.stat().st_mode & 0o777 == 0]
    damaged.chmod(0o600)  # repaired: the next poll takes it (Dovecot may have renamed the file)
    again = worker.poll_source(mailbox.source())
    assert (again.fetched, again.new, again.moved) == (1, 1, 1)
