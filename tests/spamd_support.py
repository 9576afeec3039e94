"""Settings that point triage at a spamd on this machine, and a free port for one."""

from __future__ import annotations

import socket
from dataclasses import replace

from abusebox.core.config import Settings, TriageSettings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_spamd(port: int) -> Settings:
    return replace(
        Settings(), triage=TriageSettings(spamd_host="127.0.0.1", spamd_port=port, spamd_timeout_seconds=20.0)
    )
