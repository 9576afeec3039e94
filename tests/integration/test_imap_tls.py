"""IMAP over TLS and STARTTLS against a real Dovecot with a self-signed certificate."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from imap_server import PASSWORD, PASSWORD_ENV, DovecotServer, Mailbox, dovecot_available
from services import unavailable

from abusebox.core.config import Settings
from abusebox.runtime.service import Worker
from abusebox.sources.imap import ImapLoginFailed, ImapSession, ImapTlsFailed
from abusebox.store import mailbox as mailbox_store
from abusebox.store.db import Database
from abusebox.store.mailbox import SourceState


def source_states(db: Database) -> list[SourceState]:
    with db.session() as session:
        return mailbox_store.source_states(session)


PROCESSED = "abusebox.processed"
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # about transport only


@pytest.fixture(scope="module")
def tls_server() -> Iterator[DovecotServer]:
    if not dovecot_available():
        unavailable("dovecot not installed (Debian package dovecot-imapd)")
    server = DovecotServer(tls=True)
    server.start()
    yield server
    server.close(wait=False)


@pytest.fixture
def box(tls_server: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return Mailbox(tls_server, tls_server.add_user())


@pytest.fixture
def trusted(tls_server: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust the test certificate the way a desk trusts a private CA: SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.cert))


@pytest.fixture
def worker(settings: Settings, db: Database) -> Iterator[Worker]:
    w = Worker(settings, db)
    w.is_leader = True
    yield w
    w.close()


@SQLITE_ONLY
@pytest.mark.usefixtures("trusted")
def test_poll_over_imaps(box: Mailbox, tls_server: DovecotServer, worker: Worker) -> None:
    box.append(range(3))
    counts = worker.poll_source(box.source(security="tls", port=tls_server.tls_port))
    assert (counts.fetched, counts.new, counts.moved) == (3, 3, 3)
    assert box.count(PROCESSED) == 3


@SQLITE_ONLY
@pytest.mark.usefixtures("trusted")
def test_poll_over_starttls(box: Mailbox, worker: Worker) -> None:
    box.append(range(2))
    source = box.source(security="starttls")
    session = ImapSession(source)
    try:
        assert session.client().socket().version() is not None  # the socket is TLS now
    finally:
        session.disconnect()
    counts = worker.poll_source(source)
    assert (counts.fetched, counts.new, counts.moved) == (2, 2, 2)


@SQLITE_ONLY
def test_untrusted_certificate_fails_at_once_without_retrying(
    box: Mailbox, tls_server: DovecotServer, worker: Worker, db: Database
) -> None:
    """A certificate problem is the same on every attempt: no 30 s of reconnects."""
    source = box.source(security="tls", port=tls_server.tls_port, retry_max_seconds=30.0)
    started = time.monotonic()
    with pytest.raises(ImapTlsFailed, match="CERTIFICATE_VERIFY_FAILED"):
        worker.poll_source(source)
    assert time.monotonic() - started < 5
    state = source_states(db)[0]
    assert state.errors == 1 and "ImapTlsFailed" in (state.last_error or "")


@SQLITE_ONLY
def test_tls_to_a_plain_port_is_a_clear_error(box: Mailbox, worker: Worker) -> None:
    started = time.monotonic()
    with pytest.raises(ImapTlsFailed, match=r"TLS with 127\.0\.0\.1"):
        worker.poll_source(box.source(security="tls", retry_max_seconds=30.0))
    assert time.monotonic() - started < 5


def test_starttls_never_falls_back_to_plain(dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server (here one without TLS) that offers no STARTTLS gets no password in clear."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    plain = Mailbox(dovecot, dovecot.add_user())
    session = ImapSession(plain.source(security="starttls"))
    with pytest.raises(ImapTlsFailed, match="does not offer STARTTLS"):
        session.client()
    assert "Login: user=<" + plain.user + ">" not in dovecot.log()


@SQLITE_ONLY
@pytest.mark.usefixtures("trusted")
def test_wrong_password_is_reported_readably_and_not_retried(
    box: Mailbox, tls_server: DovecotServer, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    started = time.monotonic()
    with pytest.raises(ImapLoginFailed, match=r"login as user\d+ to 127\.0\.0\.1:\d+ refused: \[AUTH"):
        worker.poll_source(box.source(security="tls", port=tls_server.tls_port, retry_max_seconds=30.0))
    assert time.monotonic() - started < 5
