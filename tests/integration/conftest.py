"""Fixtures for the services the integration tests start: Dovecot and gpg keyrings.

PostgreSQL comes through the ``db``/``settings`` fixtures of tests/conftest.py. A missing
service skips its tests, or fails them under ``CI=true`` (see services.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from imap_server import dovecot, dovecot_no_move, dovecot_no_uidplus, mailbox  # noqa: F401 (IMAP fixtures)
from pgp_support import World, gpg, new_home, world
from services import binary
from smtp_server import SmtpServer


@pytest.fixture(scope="session")
def w() -> World:
    """Every test key, generated once per session in a temporary GNUPGHOME (pgp_support.world)."""
    binary("gpg", "/usr/bin/gpg", package="gnupg")
    return world()


@pytest.fixture(scope="session")
def receiver(w: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A receiving mail user's GNUPGHOME: our public key, and Alice's secret key to decrypt."""
    home = new_home(tmp_path_factory.mktemp("receiver"))
    gpg(home, "--import", data=gpg(w.signers, "--export", w.fpr["ours"]).stdout)
    gpg(home, "--import", data=gpg(w.signers, "--export-secret-keys", w.fpr["alice"]).stdout)
    return home


@pytest.fixture
def keyring(w: World, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Make a fresh desk GNUPGHOME holding the public keys of the named test people."""

    def make(*who: str) -> Path:
        home = new_home(tmp_path_factory.mktemp("keyring"))
        gpg(home, "--import", data=gpg(w.signers, "--export", *(w.fpr[name] for name in who)).stdout)
        return home

    return make


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for the outbox tests (tests/smtp_server.py)."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
