"""The worker around IMAP polling: crashes at each point, the CLI, leadership, many sources."""

from __future__ import annotations

import json
import logging
import mailbox as stdlib_mailbox
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from imap_server import PASSWORD, PASSWORD_ENV, Mailbox, make_report
from paths import REPO
from sqlalchemy import func, select, text

from abusebox.core.config import Settings, SourceSettings
from abusebox.runtime import imap_poll
from abusebox.runtime.imap_poll import CRASH_ENV
from abusebox.runtime.service import Worker
from abusebox.store import mailbox as mailbox_store
from abusebox.store.db import Database
from abusebox.store.leader import leader_lock
from abusebox.store.mailbox import SourceState
from abusebox.store.schema import MailboxItemRow, MessageRow, ReportRow


def source_states(db: Database) -> list[SourceState]:
    with db.session() as session:
        return mailbox_store.source_states(session)


PROCESSED = "abusebox.processed"


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def write_config(path: Path, db_url: str, box: Mailbox, **source: object) -> Path:
    cfg = path / "abusebox.toml"
    cfg.write_text(
        f'[database]\nurl = "{db_url}"\n\n[limits]\nworker_processes = 1\n\n' + box.toml(**source),
        encoding="utf-8",
    )
    return cfg


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), PASSWORD_ENV: PASSWORD, **extra}


def abusebox(cfg: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # --config after the command: the subcommand's own --config default would override it
        [sys.executable, "-m", "abusebox", *args, "--config", str(cfg)],
        env=env(**extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_killed_between_commit_and_move_next_poll_moves_without_reprocessing(
    mailbox: Mailbox, db: Database, db_url: str, tmp_path: Path
) -> None:
    mailbox.append(range(3))
    cfg = write_config(tmp_path, db_url, mailbox)

    crashed = abusebox(cfg, "poll", "--once", **{CRASH_ENV: "before_move"})
    assert crashed.returncode == -signal.SIGKILL
    assert count(db, ReportRow) == 3  # committed ...
    assert mailbox.count("INBOX") == 3  # ... but not moved
    with db.session() as session:
        assert session.scalars(select(MailboxItemRow.moved_at)).all() == [None] * 3

    again = abusebox(cfg, "poll", "--once")
    assert again.returncode == 0, again.stderr
    assert again.stdout == "fetched 0, new 0, duplicate 0, quarantined 0, moved 3\n"
    assert mailbox.count("INBOX") == 0
    assert mailbox.count(PROCESSED) == 3
    assert (count(db, MessageRow), count(db, ReportRow)) == (3, 3)  # one report each, no duplicate


def test_killed_between_fetch_and_commit_next_poll_processes_it(
    mailbox: Mailbox, db: Database, db_url: str, tmp_path: Path
) -> None:
    mailbox.append(range(3))
    cfg = write_config(tmp_path, db_url, mailbox)

    crashed = abusebox(cfg, "poll", "--once", **{CRASH_ENV: "after_fetch"})
    assert crashed.returncode == -signal.SIGKILL
    assert count(db, MessageRow) == 0
    assert mailbox.count("INBOX") == 3

    again = abusebox(cfg, "poll", "--once")
    assert again.returncode == 0, again.stderr
    assert again.stdout == "fetched 3, new 3, duplicate 0, quarantined 0, moved 3\n"
    assert count(db, ReportRow) == 3

    status = abusebox(cfg, "status", "--json")
    data = json.loads(status.stdout)
    source = data["sources"][0]
    assert (source["source"], source["fetched"], source["new"], source["moved"]) == ("abuse", 3, 3, 3)
    assert source["errors"] == 0 and source["last_success_at"]
    assert data["messages"] == {"processed": 3}
    table = abusebox(cfg, "status")
    assert table.returncode == 0
    assert "abuse" in table.stdout and "messages: 3 (processed 3)" in table.stdout


def _wait(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def test_two_run_processes_exactly_one_polls(
    mailbox: Mailbox, db: Database, db_url: str, tmp_path: Path
) -> None:
    mailbox.append(range(5))
    cfg = write_config(tmp_path, db_url, mailbox, poll_interval_seconds=1)
    logs = [tmp_path / "run1.log", tmp_path / "run2.log"]
    procs = []
    for log in logs:
        with log.open("w") as fh:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "abusebox", "run", "--config", str(cfg)], env=env(), stderr=fh
                )
            )
    try:
        _wait(lambda: all("worker running" in log.read_text() for log in logs))
        _wait(lambda: mailbox.count(PROCESSED) == 5)
        mailbox.append(range(5, 7))  # the leader keeps polling
        _wait(lambda: mailbox.count(PROCESSED) == 7)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc in procs]
    assert codes == [0, 0]
    texts = [log.read_text() for log in logs]
    leaders = [t for t in texts if "this worker is the scheduler leader" in t]
    followers = [t for t in texts if "not polling: another abusebox worker is the scheduler leader" in t]
    assert len(leaders) == 1 and len(followers) == 1
    assert "abuse: fetched" in leaders[0] and "abuse: fetched" not in followers[0]
    assert all("worker stopped" in t for t in texts)
    assert (count(db, MessageRow), count(db, ReportRow)) == (7, 7)


def test_leader_lock_is_exclusive_and_released(db: Database) -> None:
    first, second = leader_lock(db), leader_lock(db)
    assert first.try_acquire()
    assert first.try_acquire()  # re-entrant for its holder
    assert not second.try_acquire()
    assert first.held()
    first.release()
    assert second.try_acquire()
    second.release()


def test_worker_polls_every_source_and_one_broken_mailbox_stops_no_other(
    mailbox: Mailbox, settings: Settings, db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox.append(range(2))
    maildir = stdlib_mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(make_report(500))
    sources = [
        mailbox.source(name="broken", port=1, retry_max_seconds=0.2, poll_interval_seconds=1),
        mailbox.source(name="good", poll_interval_seconds=1),
        SourceSettings(name="local", kind="maildir", path=str(tmp_path / "Maildir"), poll_interval_seconds=1),
    ]
    worker = Worker(replace(settings, sources=sources), db)
    ran: list[float] = []
    worker.add_periodic("tick", lambda: ran.append(time.monotonic()), 0.2)
    with pytest.raises(ValueError):
        worker.add_periodic("tick", lambda: None, 1)
    caplog.set_level(logging.INFO, logger="abusebox")
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    try:
        _wait(lambda: mailbox.count(PROCESSED) == 2 and count(db, ReportRow) == 3 and len(ran) >= 2)
        _wait(lambda: {s.source: s.errors for s in source_states(db)}.get("broken", 0) >= 2)
    finally:
        worker.stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    states = {s.source: s for s in source_states(db)}
    assert states["good"].new == 2 and states["good"].errors == 0
    assert states["local"].new == 1 and states["local"].errors == 0
    assert "ImapUnavailable" in (states["broken"].last_error or "")
    lines = [r.getMessage() for r in caplog.records]
    assert "good: fetched 2, new 2, duplicate 0, quarantined 0, moved 2" in lines
    assert any(line.startswith("local: fetched 1, new 1") for line in lines)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # about the IDLE loop; one store is enough
def test_idle_source_in_run_reacts_to_new_mail_and_stops_promptly(
    mailbox: Mailbox, settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox.append(range(1))
    source = mailbox.source(idle=True, poll_interval_seconds=300)  # only IDLE can be this quick
    arrived: list[str] = []

    def mail_during_poll(point: str) -> None:
        # Mail that arrives while the first poll is busy: the IDLE that follows hears no EXISTS.
        if point == "after_fetch" and not arrived:
            arrived.append(point)
            mailbox.append([1000])

    monkeypatch.setattr(imap_poll, "fault_point", mail_during_poll)
    worker = Worker(replace(settings, sources=[source]), db)
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    try:
        _wait(lambda: mailbox.count(PROCESSED) == 2, timeout=15)
        mailbox.append([2000])  # announced to the waiting IDLE
        _wait(lambda: mailbox.count(PROCESSED) == 3, timeout=15)
    finally:
        asked = time.monotonic()
        worker.stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert time.monotonic() - asked < 5  # the IDLE wait sees the stop within a second or so
    assert count(db, ReportRow) == 3


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # a session holds the lock only there
def test_leader_takeover_when_the_leaders_postgresql_session_dies(
    mailbox: Mailbox, settings: Settings, db: Database
) -> None:
    source = mailbox.source()
    both = replace(settings, sources=[source])
    first, second = Worker(both, db), Worker(both, db)
    try:
        first._check_leadership()
        second._check_leadership()
        assert (first.is_leader, second.is_leader) == (True, False)
        assert first.scheduler.get_job("poll:abuse") is not None
        with db.engine.connect() as admin:  # the leader's session dies (server restart, network)
            pid = first.leader._conn.execute(text("SELECT pg_backend_pid()")).scalar_one()  # type: ignore[attr-defined]
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        _wait(lambda: second.leader.try_acquire(), timeout=10)  # the server freed the lock
        second._check_leadership()
        assert second.is_leader and second.scheduler.get_job("poll:abuse") is not None
        first._check_leadership()  # the old leader notices and stops polling
        assert not first.is_leader and first.scheduler.get_job("poll:abuse") is None
        mailbox.append(range(1))
        first.poll(source)  # a job that was already due does nothing on a follower
        assert mailbox.count("INBOX") == 1
        first._check_leadership()  # and it does not take the lock back while the other holds it
        assert not first.is_leader
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # about signals; one store is enough
def test_sigterm_during_a_batch_finishes_the_messages_in_hand_and_exits_0(
    mailbox: Mailbox, db: Database, db_url: str, tmp_path: Path
) -> None:
    total = 400
    mailbox.append(range(total))
    cfg = write_config(tmp_path, db_url, mailbox, batch_size=total)
    log = tmp_path / "run.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "abusebox", "run", "--config", str(cfg)], env=env(), stderr=fh
        )
    try:
        _wait(lambda: count(db, MessageRow) > 0, timeout=30)  # the batch is being processed
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    text_log = log.read_text()
    assert "received SIGTERM: finishing the message in hand" in text_log
    assert "worker stopped" in text_log
    with db.session() as session:
        statuses = session.scalars(select(MessageRow.status)).all()
    done = len(statuses)
    assert 0 < done < total, "the stop came too late to interrupt the batch"
    assert set(statuses) == {"processed"}  # nothing left half-done
    assert mailbox.count(PROCESSED) == done  # what was finished was also moved
    assert mailbox.count("INBOX") == total - done  # the rest waits for the next run
    again = abusebox(cfg, "poll", "--once")
    assert again.returncode == 0, again.stderr
    assert (
        again.stdout
        == f"fetched {total - done}, new {total - done}, duplicate 0, quarantined 0, moved {total - done}\n"
    )
