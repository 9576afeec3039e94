"""The sender over STARTTLS, implicit TLS and SMTP AUTH, against a real aiosmtpd server.

The server's certificate is a throwaway one for 127.0.0.1 (the Dovecot TLS tests' helper),
named to the client with ``[mail] ca_file``. A certificate the client does not trust, a
server without STARTTLS when it is asked for, or a wrong password defer the row with a
clear ``last_error`` and send nothing (never in clear text); the password is never logged.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imap_server import write_self_signed_cert
from outbox_helpers import item, mail_settings, queue_one
from smtp_server import SmtpServer

from abusebox.core.config import ConfigError, Settings
from abusebox.core.config_file import load_settings
from abusebox.core.mail_config import MailSettings
from abusebox.outbox.sender import send_pass
from abusebox.store.db import Database

# aiosmtpd only counts STARTTLS as TLS for AUTH; over implicit TLS it warns (the session is TLS).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
PASSWORD = "s3cret-Pa55word-for-smtp"
PASSWORD_ENV = "ABUSEBOX_TEST_SMTP_PASSWORD"


def _certificate(directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    write_self_signed_cert(cert, key, "127.0.0.1")
    return cert, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The server's certificate (its own CA) and another CA that did not sign it."""
    root = tmp_path_factory.mktemp("smtp-tls")
    cert, key = _certificate(root / "server")
    other, _ = _certificate(root / "other")
    return {"cert": cert, "key": key, "other_ca": other}


@pytest.fixture
def serve(certs: dict[str, Path]) -> Iterator[Callable[..., SmtpServer]]:
    started: list[SmtpServer] = []

    def make(security: str, **options: object) -> SmtpServer:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certs["cert"], certs["key"])
        server = SmtpServer(security, context, **options)  # type: ignore[arg-type]
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def _settings(settings: Settings, server: SmtpServer, security: str, **changes: object) -> Settings:
    return mail_settings(settings, server, security=security, **changes)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_delivered_over_verified_tls(
    db: Database, settings: Settings, serve: Callable[..., SmtpServer], certs: dict[str, Path], security: str
) -> None:
    server = serve(security)
    settings = _settings(settings, server, security, ca_file=str(certs["cert"]))
    pk = queue_one(db, settings)
    assert send_pass(settings, db).summary() == "sent 1, failed 0, deferred 0"
    [got] = server.wait_for(1)
    assert got.tls and got.message()["Message-ID"] == item(db, pk).message_id
    assert item(db, pk).status == "sent"


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_untrusted_certificate_sends_nothing(
    db: Database, settings: Settings, serve: Callable[..., SmtpServer], certs: dict[str, Path], security: str
) -> None:
    server = serve(security)
    settings = _settings(settings, server, security, ca_file=str(certs["other_ca"]))
    pk = queue_one(db, settings)
    second = queue_one(db, settings)
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 1"
    row = item(db, pk)
    assert row.status == "approved" and row.attempts == 1
    assert "not trusted" in (row.last_error or "") and str(certs["other_ca"]) in (row.last_error or "")
    assert item(db, second).attempts == 0  # the pass stopped: the same problem would repeat
    assert server.messages == []


def test_a_certificate_for_another_host_name_is_refused(
    db: Database, settings: Settings, serve: Callable[..., SmtpServer], certs: dict[str, Path]
) -> None:
    """The certificate names IP 127.0.0.1; reached as "localhost" it does not match."""
    server = serve("starttls")
    settings = _settings(settings, server, "starttls", ca_file=str(certs["cert"]), smtp_host="localhost")
    pk = queue_one(db, settings)
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 1"
    assert "not trusted" in (item(db, pk).last_error or "")
    assert "mismatch" in (item(db, pk).last_error or "").lower()
    assert server.messages == []


def test_system_cas_do_not_trust_a_private_certificate(
    db: Database, settings: Settings, serve: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    server = serve("tls")
    settings = _settings(settings, server, "tls")
    pk = queue_one(db, settings)
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 1"
    assert "set [mail] ca_file" in (item(db, pk).last_error or "")
    assert server.messages == []


def test_starttls_never_falls_back_to_clear_text(db: Database, settings: Settings, smtp: SmtpServer) -> None:
    """A server (or a man in the middle) that does not offer STARTTLS gets nothing."""
    settings = _settings(settings, smtp, "starttls")
    pk = queue_one(db, settings)
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 1"
    error = item(db, pk).last_error or ""
    assert "does not offer STARTTLS" in error and "not sent in clear text" in error
    assert smtp.messages == []


@pytest.mark.parametrize(("security", "mechanism"), [("starttls", "PLAIN"), ("tls", "LOGIN")])
def test_smtp_auth_over_tls(
    db: Database,
    settings: Settings,
    serve: Callable[..., SmtpServer],
    certs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    security: str,
    mechanism: str,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    other = "LOGIN" if mechanism == "PLAIN" else "PLAIN"
    server = serve(security, users={"desk": PASSWORD}, exclude_mechanisms=(other,))
    settings = _settings(
        settings, server, security, ca_file=str(certs["cert"]), user="desk", password_env=PASSWORD_ENV
    )
    pk = queue_one(db, settings)
    with caplog.at_level(logging.DEBUG):
        assert send_pass(settings, db).summary() == "sent 1, failed 0, deferred 0"
    [got] = server.wait_for(1)
    assert got.login == "desk" and got.tls
    assert server.auth_mechanisms == [mechanism]
    assert item(db, pk).status == "sent"
    assert PASSWORD not in caplog.text


def test_wrong_password_defers_with_the_reply_and_is_never_logged(
    db: Database,
    settings: Settings,
    serve: Callable[..., SmtpServer],
    certs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD + "-wrong")
    server = serve("starttls", users={"desk": PASSWORD})
    settings = _settings(
        settings, server, "starttls", ca_file=str(certs["cert"]), user="desk", password_env=PASSWORD_ENV
    )
    pk = queue_one(db, settings)
    second = queue_one(db, settings)
    with caplog.at_level(logging.DEBUG):
        assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 1"
    row = item(db, pk)
    assert row.status == "approved"
    assert row.last_error is not None and "SMTP AUTH as 'desk' refused: 535" in row.last_error
    assert item(db, second).attempts == 0  # one bad login per pass, not one per row
    assert server.messages == []
    out = capsys.readouterr()
    for text in (caplog.text, row.last_error, out.out, out.err):
        assert PASSWORD not in text
    # The password fixed: the row goes out on a later pass.
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    later = datetime.now(UTC) + timedelta(hours=1)
    assert send_pass(settings, db, now=later).summary() == "sent 2, failed 0, deferred 0"
    assert {r.login for r in server.wait_for(2)} == {"desk"}


def test_missing_password_variable_defers(
    db: Database,
    settings: Settings,
    serve: Callable[..., SmtpServer],
    certs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    server = serve("tls", users={"desk": PASSWORD})
    ca = str(certs["cert"])
    settings = _settings(settings, server, "tls", ca_file=ca, user="desk", password_env=PASSWORD_ENV)
    pk = queue_one(db, settings)
    assert send_pass(settings, db).summary() == "sent 0, failed 0, deferred 1"
    assert f"environment variable {PASSWORD_ENV} is not set" in (item(db, pk).last_error or "")
    assert server.messages == []


def test_password_over_plain_to_a_remote_host_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "plain.toml"
    config.write_text(
        '[mail]\nsmtp_host = "mx.example.net"\nsecurity = "plain"\nuser = "desk"\npassword_env = "X"\n'
    )
    with pytest.raises(ConfigError, match="clear text"):
        load_settings(config)
    assert MailSettings(smtp_host="127.0.0.1", user="desk").validate() is None
