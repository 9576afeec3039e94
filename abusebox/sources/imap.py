"""IMAP connection for one source: TLS/STARTTLS/plain, timeouts, reconnect with backoff.

`ImapSession` connects lazily and drops the connection on any transport fault; `call`
runs one step (connect + SELECT + the step) under a tenacity retry policy with
exponential backoff and full jitter, so a dropped connection mid-FETCH reconnects and
repeats that step. The folder's UIDVALIDITY is checked on every SELECT: UIDs from
before a change must never be used to move or fetch messages after it.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_delay,
    stop_any,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from abusebox.core.config import ConfigError, SourceSettings
from abusebox.core.config_file import secret
from abusebox.core.errors import TransientError

log = logging.getLogger(__name__)


class _StopRequested(stop_base):
    """Stop retrying once the worker is asked to stop."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.event.is_set()


T = TypeVar("T")

# Transport faults worth a reconnect: refused/reset/timed-out sockets, TLS errors (both
# OSError) and a connection the server closed (imaplib's `abort`, e.g. "BYE shutting down").
RETRYABLE: tuple[type[BaseException], ...] = (OSError, imaplib.IMAP4.abort)
BACKOFF_MULTIPLIER = 0.5  # seconds; waits are random in [0, 0.5 * 2**n], capped
BACKOFF_MAX = 60.0


class ImapUnavailable(TransientError):
    """The server stayed unreachable through every retry; try again next poll."""


class ImapTlsFailed(TransientError):
    """TLS could not be set up (certificate, protocol, no STARTTLS): not retried within a poll."""


class ImapLoginFailed(TransientError):
    """The server refused the login: not retried within a poll (the password is wrong or locked)."""


class StepBreaksConnection(TransientError):
    """A command failed again and again on a working connection (see ImapSession.call)."""


class UidValidityChanged(TransientError):
    """UIDVALIDITY changed during a poll: stop using this poll's UIDs."""


def uid_set(uids: Iterable[int]) -> str:
    """A compact IMAP sequence set: consecutive UIDs become ranges (`1:500,502`).

    Ranges cover only UIDs that are all wanted, so a UID command never touches others.
    """
    ordered = sorted(set(uids))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}:{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def _connect(source: SourceSettings, password: str) -> IMAPClient:
    """Connect, secure and log in; every socket read and write times out."""
    assert source.host is not None and source.user is not None
    # The system's trusted CAs; a private CA is trusted through the SSL_CERT_FILE variable.
    context = ssl.create_default_context()
    port = source.port or (993 if source.security == "tls" else 143)
    where = f"{source.host}:{port}"
    try:
        if source.security == "tls":
            client = IMAPClient(
                source.host, port=port, ssl=True, ssl_context=context, timeout=source.timeout_seconds
            )
        else:
            client = IMAPClient(source.host, port=port, ssl=False, timeout=source.timeout_seconds)
            if source.security == "starttls":
                _secure(client, context, where)
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
        raise  # the connection dropped during the handshake: retried like any drop
    except ssl.SSLError as exc:
        # A failed certificate check or a protocol mismatch (TLS on a plain port): the
        # same on every attempt, so not retried within this poll.
        raise ImapTlsFailed(f"{source.name}: TLS with {where} failed: {exc}") from exc
    try:
        client.login(source.user, password)
    except LoginError as exc:
        _shutdown(client)
        reason = server_text(exc)
        raise ImapLoginFailed(f"{source.name}: login as {source.user} to {where} refused: {reason}") from exc
    return client


def _secure(client: IMAPClient, context: ssl.SSLContext, where: str) -> None:
    if not client.has_capability("STARTTLS"):
        _shutdown(client)
        # Never fall back to plain text: the password would cross the network unprotected.
        raise ImapTlsFailed(f"{where} does not offer STARTTLS (security = starttls)")
    try:
        client.starttls(context)
    except BaseException:
        _shutdown(client)
        raise


class ImapSession:
    """A lazily opened connection with one folder selected; reconnects on transport faults."""

    def __init__(self, source: SourceSettings, stop: threading.Event | None = None) -> None:
        if not source.password_env:
            raise ConfigError(f"source {source.name!r}: imap needs `password_env`")
        self.source = source
        self.password = secret(source.password_env, f"source {source.name!r}") or ""
        self.stop = stop or threading.Event()
        self.uidvalidity: int | None = None  # pinned by the first SELECT of a poll
        self.uidnext: int | None = None  # the folder's UIDNEXT at that first SELECT
        self._client: IMAPClient | None = None
        self._delimiter: str | None = None
        self._prefix = ""
        self._ensured: set[str] = set()

    # -- connection -------------------------------------------------------------------
    def client(self) -> IMAPClient:
        """The connected client with the source folder selected (connect if needed)."""
        if self._client is None:
            client = _connect(self.source, self.password)
            try:
                info = client.select_folder(self.server_name(self.source.folder, client))
            except BaseException:
                _shutdown(client)
                raise
            uidvalidity = int(info[b"UIDVALIDITY"])
            if self.uidvalidity is None:
                self.uidvalidity = uidvalidity
                self.uidnext = int(info.get(b"UIDNEXT") or 0) or None
            elif uidvalidity != self.uidvalidity:
                _shutdown(client)
                raise UidValidityChanged(
                    f"{self.source.name}: UIDVALIDITY of {self.source.folder} changed from "
                    f"{self.uidvalidity} to {uidvalidity} during the poll"
                )
            self._client = client
        return self._client

    def disconnect(self) -> None:
        """Log out politely; the next step reconnects (used while processing a batch)."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except (*RETRYABLE, IMAPClientError):
            _shutdown(client)

    def _sleep(self, seconds: float) -> None:
        self.stop.wait(seconds)  # a stop request cuts the backoff short

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _shutdown(client)

    def call(self, what: str, step: Callable[[IMAPClient], T], give_up_after: int | None = None) -> T:
        """Run one step on the selected folder, reconnecting with backoff and jitter on faults.

        With `give_up_after`, a step that breaks the connection that many times although
        connecting and SELECT succeeded raises StepBreaksConnection: the server fails on
        the command itself (e.g. a message it cannot read), not on the network.
        """
        broken_steps = 0

        def attempt() -> T:
            nonlocal broken_steps
            client = self.client()  # a failure to connect is the network's: not counted
            try:
                return step(client)
            except RETRYABLE as exc:
                broken_steps += 1
                if give_up_after is not None and broken_steps >= give_up_after:
                    self._drop()
                    raise StepBreaksConnection(
                        f"{self.source.name}: {what} failed {broken_steps} times on a fresh connection: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                raise

        def before_sleep(state: RetryCallState) -> None:
            self._drop()
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "%s: %s failed (%s: %s); reconnecting in %.1f s (attempt %d)",
                self.source.name,
                what,
                type(exc).__name__,
                exc,
                state.upcoming_sleep,
                state.attempt_number,
            )

        retrying = Retrying(
            retry=retry_if_exception_type(RETRYABLE),
            wait=wait_random_exponential(multiplier=BACKOFF_MULTIPLIER, max=BACKOFF_MAX),
            stop=stop_any(stop_after_delay(self.source.retry_max_seconds), _StopRequested(self.stop)),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except RETRYABLE as exc:
            self._drop()
            raise ImapUnavailable(f"{self.source.name}: {what}: {type(exc).__name__}: {exc}") from exc

    def idle_wait(self, seconds: float, since_uidnext: int | None = None) -> bool:
        """IDLE until the server announces new mail, `seconds` pass or a stop is requested.

        `since_uidnext` is the UIDNEXT the last poll saw: mail that arrived after it, but
        before this IDLE began, is announced by no EXISTS, so it ends the wait at once.
        False when the server has no IDLE (the caller sleeps instead). Transport faults
        propagate: the caller falls back to sleeping until the next poll.
        """
        client = self.client()
        if not client.has_capability("IDLE"):
            return False
        if since_uidnext is not None and self.uidnext is not None and self.uidnext > since_uidnext:
            return True
        deadline = time.monotonic() + seconds
        client.idle()
        try:
            while not self.stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                # Short checks so that a stop request is seen within a second.
                responses = client.idle_check(timeout=min(1.0, remaining))
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    break
        finally:
            client.idle_done()
        return True

    # -- folders ----------------------------------------------------------------------
    def server_name(self, name: str, client: IMAPClient | None = None) -> str:
        """Map a configured folder name (`/`-separated) to the server's hierarchy and namespace."""
        client = client or self.client()
        if self._delimiter is None:
            self._delimiter, self._prefix = _hierarchy(client)
        if name.upper() == "INBOX":
            return "INBOX"
        mapped = name.replace("/", self._delimiter) if self._delimiter else name
        if self._prefix and not mapped.startswith(self._prefix):
            mapped = self._prefix + mapped
        return mapped

    def ensure_folder(self, client: IMAPClient, name: str) -> str:
        """Create (and subscribe) a target folder once per session if it is missing."""
        server = self.server_name(name, client)
        if server in self._ensured:
            return server
        if not client.folder_exists(server):
            try:
                client.create_folder(server)
            except IMAPClientError:
                if not client.folder_exists(server):  # not a creation race: a real refusal
                    raise
            try:
                client.subscribe_folder(server)
            except IMAPClientError as exc:  # subscription is a convenience for mail clients
                log.info("%s: could not subscribe %s: %s", self.source.name, server, exc)
        self._ensured.add(server)
        return server


def _hierarchy(client: IMAPClient) -> tuple[str, str]:
    """The personal namespace's hierarchy delimiter and prefix (e.g. `.` and `INBOX.`)."""
    if client.has_capability("NAMESPACE"):
        personal = client.namespace().personal
        if personal:
            prefix, delimiter = personal[0]
            return (delimiter or "/"), prefix or ""
    listing = client.list_folders("", "")
    delimiter = listing[0][1] if listing else b"/"
    text = delimiter.decode() if isinstance(delimiter, bytes) else (delimiter or "/")
    return text, ""


def server_text(exc: BaseException) -> str:
    """The server's answer inside an imaplib/IMAPClient error, as text (not `b'...'`)."""
    arg = exc.args[0] if exc.args else exc
    if isinstance(arg, bytes):
        return arg.decode(errors="replace")
    text = str(arg)
    if len(text) > 2 and text[0] == "b" and text[1] in "'\"" and text[-1] == text[1]:
        return text[2:-1]  # IMAPClient wraps some answers with str(bytes)
    return text


def _shutdown(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except (*RETRYABLE, IMAPClientError) as exc:
        log.debug("closing a broken IMAP connection: %s", exc)


__all__ = [
    "ImapLoginFailed",
    "ImapSession",
    "ImapTlsFailed",
    "ImapUnavailable",
    "StepBreaksConnection",
    "UidValidityChanged",
    "server_text",
    "uid_set",
]
