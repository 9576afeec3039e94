"""A process killed between UID COPY and UID EXPUNGE: the next poll never copies twice.

Servers without MOVE get COPY + \\Deleted + UID EXPUNGE. A worker killed after the COPY
leaves the originals in the inbox and their copies in the target folder, and remembers
nothing of it; the next worker moves them again and must find the copies already there.
"""

from __future__ import annotations

import pytest
from imap_server import PASSWORD, PASSWORD_ENV, DovecotServer, Mailbox
from imapclient import IMAPClient

from abusebox.core.config import Settings
from abusebox.runtime.service import Worker
from abusebox.store.db import Database

PROCESSED = "abusebox.processed"  # "abusebox/processed" in Dovecot's Maildir++ hierarchy


class Killed(BaseException):
    """Stands in for SIGKILL: nothing in the worker catches it, nothing is cleaned up."""


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_killed_between_copy_and_expunge_the_next_poll_copies_nothing_again(
    dovecot_no_move: DovecotServer, monkeypatch: pytest.MonkeyPatch, settings: Settings, db: Database
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    box = Mailbox(dovecot_no_move, dovecot_no_move.add_user())
    box.append(range(4))

    def killed_after_copy(self: IMAPClient, *args: object, **kwargs: object) -> object:
        raise Killed  # the COPY ran; the \\Deleted flags and the EXPUNGE never do

    first = Worker(settings, db)
    first.is_leader = True
    monkeypatch.setattr(IMAPClient, "add_flags", killed_after_copy)
    with pytest.raises(Killed):
        first.poll_source(box.source())
    monkeypatch.undo()
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    assert box.count(PROCESSED) == 4 and box.count("INBOX") == 4  # copied, not expunged

    second = Worker(settings, db)  # a new process: no memory of the COPY
    second.is_leader = True
    try:
        counts = second.poll_source(box.source())
        assert counts.new == 0  # the messages were committed before the move
        assert box.count(PROCESSED) == 4  # not 8
        assert box.count("INBOX") == 0
        again = second.poll_source(box.source())
        assert (again.fetched, again.moved) == (0, 0) and box.count(PROCESSED) == 4
    finally:
        second.close()
        first.close()
