"""A real SMTP server for tests: aiosmtpd's Controller on 127.0.0.1, with a few switches.

``SmtpServer`` keeps every received message (envelope and exact bytes), can answer
with a chosen reply (``reply = "550 5.1.1 no such user"``), can be stopped and started
again on the same port (server down, then up), and can SIGKILL a client process at a
given SMTP step (``kill_at = "MAIL"`` before anything is received, ``"DATA"`` after the
message is kept but before the reply) for crash tests. ``security="starttls"`` (required
before MAIL) or ``"tls"`` (implicit TLS) with an ``ssl.SSLContext``, and ``users`` (login ->
password; AUTH then required, only over TLS) make it a submission server.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool = False  # the session was encrypted when DATA came
    login: str | None = None  # who authenticated (SMTP AUTH)

    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.data, policy=default)
        assert isinstance(msg, EmailMessage)
        return msg


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_MAIL(
        self, srv: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.server.kill_at == "MAIL" and self.server.kill_pid:
            os.kill(self.server.kill_pid, signal.SIGKILL)
            return "421 going away"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, srv: Any, session: Any, envelope: Any) -> str:
        if self.server.reply and not self.server.reply.startswith("2"):
            return self.server.reply
        login = session.auth_data.login.decode() if session.authenticated else None
        self.server.messages.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                bytes(envelope.original_content),
                tls=srv.transport.get_extra_info("ssl_object") is not None,
                login=login,
            )
        )
        if self.server.kill_at == "DATA" and self.server.kill_pid:
            os.kill(self.server.kill_pid, signal.SIGKILL)
            time.sleep(0.5)  # the client is gone before it can read a reply
        return "250 OK"


class _Authenticator:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    def __call__(self, srv: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        self.server.auth_mechanisms.append(mechanism)
        ok = (
            isinstance(data, LoginPassword)
            and self.server.users.get(data.login.decode(), None) == data.password.decode()
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


class SmtpServer:
    def __init__(
        self,
        security: str = "plain",
        context: ssl.SSLContext | None = None,
        users: dict[str, str] | None = None,
        exclude_mechanisms: tuple[str, ...] = (),
    ) -> None:
        self.security = security
        self.context = context
        self.users = users or {}
        self.exclude_mechanisms = exclude_mechanisms
        self.auth_mechanisms: list[str] = []
        with socket.socket() as probe:  # aiosmtpd's readiness check cannot use port 0
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.host = "127.0.0.1"
        self.messages: list[Received] = []
        self.reply: str | None = None
        self.kill_at: str | None = None
        self.kill_pid: int | None = None
        self._controller: Controller | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        options: dict[str, Any] = {}
        if self.security == "starttls":
            options |= {"tls_context": self.context, "require_starttls": True}
        elif self.security == "tls":
            options["ssl_context"] = self.context
        if self.users:
            options |= {
                "authenticator": _Authenticator(self),
                "auth_required": True,
                # aiosmtpd only counts STARTTLS as TLS; implicit TLS is TLS from the start.
                "auth_require_tls": self.security != "tls",
                "auth_exclude_mechanism": list(self.exclude_mechanisms),
            }
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)
