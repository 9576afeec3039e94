"""A throwaway Dovecot IMAP server for tests (recipe: ../shared/recipes/dovecot.md).

Started as its own daemon on 127.0.0.1 and a free port, configured in a temp dir that
the `dovecot` auth user can traverse, stopped by the master PID. The passwd-file holds
many users, so one server gives every test a fresh, empty mailbox.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from imapclient import IMAPClient
from services import unavailable

from abusebox.core.config import SourceSettings

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
PASSWORD = "test-password"
MAX_USERS = 200

CONFIG = """\
base_dir  = {d}/run
state_dir = {d}/state
instance_name = abusebox-test-{port}
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
{capability}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
"""

# Dovecot 2.3's default capability list, to which tests remove MOVE or UIDPLUS.
DEFAULT_CAPABILITIES = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
    "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
    "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW "
    "STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE"
)


def write_self_signed_cert(cert: Path, key: Path, ip: str) -> None:
    """A throwaway certificate for the IP address the test server listens on (openssl CLI)."""
    subprocess.run(
        [
            *(OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1"),
            *("-subj", "/CN=abusebox test IMAP", "-addext", f"subjectAltName=IP:{ip}"),
        ],
        check=True,
        capture_output=True,
    )
    os.chmod(key, 0o600)


def dovecot_available() -> bool:
    return Path(DOVECOT).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DovecotServer:
    """One Dovecot instance; `without` names capabilities to hide (e.g. {"MOVE"})."""

    def __init__(self, without: frozenset[str] = frozenset(), tls: bool = False) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="abusebox-dovecot-"))
        os.chmod(self.dir, 0o755)  # the auth process runs as `dovecot` and must reach the users file
        self.port = free_port()
        self.host = "127.0.0.1"
        capability = ""
        if without:
            caps = [c for c in DEFAULT_CAPABILITIES.split() if c not in without]
            capability = "imap_capability = " + " ".join(caps)
        # With tls: IMAPS on tls_port and STARTTLS on port, with a self-signed certificate
        # for 127.0.0.1 (`cert` is the file a client must trust).
        self.tls_port = free_port() if tls else 0
        self.cert = self.dir / "cert.pem"
        ssl_lines = "ssl = no"
        if tls:
            key = self.dir / "key.pem"
            write_self_signed_cert(self.cert, key, self.host)
            ssl_lines = f"ssl = yes\nssl_cert = <{self.cert}\nssl_key = <{key}"
        (self.dir / "dovecot.conf").write_text(
            CONFIG.format(
                d=self.dir, port=self.port, capability=capability, ssl=ssl_lines, imaps_port=self.tls_port
            ),
            encoding="utf-8",
        )
        # All users up front: Dovecot notices a changed passwd-file by its mtime, which
        # misses additions made within the same second as its last read.
        users = "".join(f"user{i}:{{PLAIN}}{PASSWORD}\n" for i in range(1, MAX_USERS + 1))
        (self.dir / "users").write_text(users, encoding="utf-8")
        os.chmod(self.dir / "users", 0o644)
        mail = self.dir / "mail"
        mail.mkdir()
        shutil.chown(mail, "nobody", "nogroup")
        self._users = 0
        self.pid: int | None = None

    @property
    def config(self) -> Path:
        return self.dir / "dovecot.conf"

    def start(self) -> None:
        # The daemon keeps inherited pipes open: give it files, not pipes, or run() never returns.
        with (self.dir / "start.out").open("wb") as out:
            subprocess.run([DOVECOT, "-c", str(self.config)], check=True, stdout=out, stderr=out)
        pid_file = self.dir / "run" / "master.pid"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.pid is None and pid_file.exists():
                with contextlib.suppress(ValueError):
                    self.pid = int(pid_file.read_text().strip())
            if self.pid is not None:
                with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), 0.5):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start listening: {self.log()}")

    def _instance_pids(self) -> list[int]:
        """This instance's processes (titles carry the instance name, which holds our port)."""
        marker = f"dovecot-abusebox-test-{self.port}/".encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if marker in (entry / "cmdline").read_bytes():
                        pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        """Stop the master and every process of this instance: open connections drop too.

        Dovecot's master exits without waiting for its imap processes, which keep
        serving established connections; a test of a dropped connection needs them gone.
        """
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, 15)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        for pid in self._instance_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        self.pid = None

    def close(self, wait: bool = True) -> None:
        """Stop and remove; `wait=False` skips the ~2.5 s Dovecot takes to exit (end of session)."""
        if wait:
            self.stop()
        elif self.pid is not None:
            for pid in [self.pid, *self._instance_pids()]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 15)
            self.pid = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def add_user(self) -> str:
        """A user not handed out before: a fresh, empty mailbox."""
        self._users += 1
        if self._users > MAX_USERS:
            raise RuntimeError(f"more than {MAX_USERS} test mailboxes on one server")
        return f"user{self._users}"

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, PASSWORD)
        return client


def make_report(n: int, ip: str | None = None) -> bytes:
    """A small realistic abuse report with a distinct body (so each sha256 differs), CRLF ends."""
    address = ip or f"203.0.113.{n % 250 + 1}"
    when = datetime(2026, 11, 19, 1, 20, 30, tzinfo=UTC) + timedelta(minutes=n)
    msg = EmailMessage()
    msg["From"] = f"Reporter {n} <abuse-reports{n}@example.org>"
    msg["To"] = "abuse@example.net"
    msg["Subject"] = f"SSH brute force from {address} (case {n})"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<report-{n}@example.org>"  # fixed: the same n gives the same bytes
    msg.set_content(
        f"Hello,\n\nour server 198.51.100.10 saw repeated failed SSH logins from {address}.\n"
        f"{when:%b %d %H:%M:%S} sshd[{1000 + n}]: Failed password for root from {address} "
        f"port {40000 + n} ssh2\n\nPlease investigate. Case number {n}.\n-- \nExample CSIRT\n"
    )
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def append_reports(
    server: DovecotServer, user: str, numbers: range | list[int], folder: str = "INBOX"
) -> None:
    """Put messages into a folder with MULTIAPPEND, 100 per command."""
    client = server.client(user)
    try:
        numbers = list(numbers)
        for start in range(0, len(numbers), 100):
            client.multiappend(folder, [make_report(n) for n in numbers[start : start + 100]])
    finally:
        client.logout()


# -- pytest fixtures (imported into conftest.py) ---------------------------------------------
PASSWORD_ENV = "ABUSEBOX_TEST_IMAP_PASSWORD"


class Mailbox:
    """One fresh user on a test server, with helpers to fill and inspect its folders."""

    def __init__(self, server: DovecotServer, user: str) -> None:
        self.server = server
        self.user = user

    def append(self, numbers: range | list[int], folder: str = "INBOX") -> None:
        append_reports(self.server, self.user, numbers, folder)

    def client(self) -> IMAPClient:
        return self.server.client(self.user)

    def count(self, folder: str = "INBOX") -> int:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                return 0
            return int(client.select_folder(folder, readonly=True)[b"EXISTS"])
        finally:
            client.logout()

    def source(self, **overrides: object) -> SourceSettings:
        values: dict[str, object] = {
            "name": "abuse",
            "kind": "imap",
            "host": self.server.host,
            "port": self.server.port,
            "security": "plain",
            "user": self.user,
            "password_env": PASSWORD_ENV,
            "timeout_seconds": 10.0,
            "retry_max_seconds": 30.0,
        }
        values.update(overrides)
        return SourceSettings(**values)  # type: ignore[arg-type]

    def toml(self, **overrides: object) -> str:
        """The source as a `[[sources]]` table for a config file."""
        source = self.source(**overrides)
        lines = ["[[sources]]"]
        for key in ("name", "kind", "host", "port", "security", "user", "password_env", "folder"):
            value = getattr(source, key)
            lines.append(f"{key} = {value}" if isinstance(value, int) else f'{key} = "{value}"')
        lines.append(f"move = {'true' if source.move else 'false'}")
        lines.append(f"poll_interval_seconds = {source.poll_interval_seconds}")
        lines.append(f"batch_size = {source.batch_size}")
        return "\n".join(lines) + "\n"


def _server(without: frozenset[str] = frozenset()) -> Iterator[DovecotServer]:
    if not dovecot_available():
        unavailable("dovecot not installed (Debian package dovecot-imapd)")
    server = DovecotServer(without)
    server.start()
    yield server
    server.close(wait=False)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    yield from _server()


@pytest.fixture(scope="session")
def dovecot_no_move() -> Iterator[DovecotServer]:
    yield from _server(frozenset({"MOVE"}))


@pytest.fixture(scope="session")
def dovecot_no_uidplus() -> Iterator[DovecotServer]:
    yield from _server(frozenset({"MOVE", "UIDPLUS"}))


@pytest.fixture
def mailbox(dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return Mailbox(dovecot, dovecot.add_user())
