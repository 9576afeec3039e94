"""The one place that runs gpg: python-gnupg for the process plumbing, our own status reading.

Every call goes through :meth:`Keyring.run`, which

- uses the dedicated GNUPGHOME from the settings (created 0700 if missing; a relative
  path is taken relative to the current directory, see :func:`abusebox.pgp.resolve_settings`
  to anchor it at the config file instead),
- never fetches keys (``--no-auto-key-retrieve --no-auto-key-locate``), so a hostile
  signature cannot make us contact a keyserver or a WKD host,
- sends gpg's human-readable log to a private file (``--log-file``) so that stderr carries
  *only* ``[GNUPG:]`` status lines: text an attacker controls (literal-data file names,
  user IDs) cannot be mistaken for a status line (the SigSpoof class of attack),
- kills gpg after ``timeout_seconds``,
- keeps python-gnupg from logging a WARNING for every non-zero gpg exit (an unknown key,
  a bad signature: normal input for an abuse mailbox); the outcome is read from the status
  lines and recorded in the result instead (see :class:`_QuietExpectedFailures`).

Callers interpret the recorded status lines themselves (verify.py, decrypt.py): python-gnupg's
own result classes keep one signature's state and raise on malformed lines, so we do not use
them.
"""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from subprocess import Popen
from typing import Any

import gnupg

from abusebox.core.config import PgpSettings
from abusebox.core.errors import AbuseboxError

STATUS_PREFIX = "[GNUPG:] "
SAFETY_OPTIONS = ("--no-auto-key-retrieve", "--no-auto-key-locate", "--no-greeting")
_LOG_TAIL_BYTES = 4096
_LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d gpg\[\d+\] ")  # --log-file line prefix

_logger = logging.getLogger(__name__)
_PIPE_MESSAGES = ("Error sending data", "Exception occurred while closing: ignored")


class _QuietExpectedFailures(logging.Filter):
    """Drop python-gnupg's log records for failures that Keyring.run handles itself.

    - "gpg returned a non-zero error code": gpg exits 1 or 2 for every bad or unverifiable
      signature and every message not encrypted to us; hostile mail would flood the worker
      log with one WARNING per message. GpgCall keeps the exit code and the reason.
    - "Error sending data" (or the close after it) with a BrokenPipeError: gpg stopped
      reading its input early (it gave up, or our watchdog killed it); python-gnupg
      re-raises the error to Keyring.run, which expects it.
    Any other python-gnupg record passes through.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "gpg returned a non-zero error code: %d":
            return False
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, BrokenPipeError) and record.msg in _PIPE_MESSAGES)


def _install_log_filter() -> None:
    gnupg_log = logging.getLogger("gnupg")
    if not any(isinstance(f, _QuietExpectedFailures) for f in gnupg_log.filters):
        gnupg_log.addFilter(_QuietExpectedFailures())


_install_log_filter()


class GpgError(AbuseboxError):
    """gpg is missing, cannot start, or the keyring directory is unusable."""


@dataclass
class GpgCall:
    """What one gpg run produced: status lines in order, stdout, exit code and log tail."""

    args: list[str]
    statuses: list[tuple[str, str]] = field(default_factory=list)
    data: bytes = b""
    returncode: int | None = None
    timed_out: bool = False
    truncated: bool = False  # output passed max_output; gpg was killed
    log: str = ""
    noise: list[str] = field(default_factory=list)  # non-status lines on the status stream

    def has(self, keyword: str) -> bool:
        return any(k == keyword for k, _v in self.statuses)

    def values(self, keyword: str) -> list[str]:
        return [v for k, v in self.statuses if k == keyword]

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.truncated

    def describe_failure(self) -> str:
        """A short reason for logs and PgpResult.detail."""
        if self.timed_out:
            return "gpg timed out"
        if self.truncated:
            return "gpg output exceeded the configured size limit"
        errors = [f"{k} {v}".strip() for k, v in self.statuses if k in ("ERROR", "FAILURE")]
        lines = [_LOG_PREFIX.sub("", line) for line in self.log.strip().splitlines()]
        last_log = lines[-1:]
        parts = errors[:3] + last_log
        return "; ".join(parts) or f"gpg exited with status {self.returncode}"


class _Recorder(gnupg.StatusHandler):
    """A python-gnupg result object that only records; interpretation is ours."""

    def __init__(self, gpg: gnupg.GPG) -> None:
        super().__init__(gpg)
        self.statuses: list[tuple[str, str]] = []
        self.data: bytes = b""
        self.max_output: int | None = None
        self.truncated = False
        self.process: Popen[bytes] | None = None
        self.stderr: str = ""
        self.returncode: int | None = None
        self.timed_out = False

    def handle_status(self, key: str, value: str) -> None:
        self.statuses.append((key, value))


class _TimedGPG(gnupg.GPG):
    """python-gnupg with a watchdog: a gpg process older than ``timeout`` is killed."""

    def __init__(self, timeout: float, **kwargs: Any) -> None:
        self.timeout = timeout  # before super().__init__: it already runs gpg once
        super().__init__(**kwargs)

    def _read_data(self, stream: Any, result: Any, on_data: Any = None, buffer_size: int = 65536) -> None:
        # Our own stdout reader: stop and kill gpg once the output passes the caller's cap.
        # (gpg's --max-output truncates silently and still reports DECRYPTION_OKAY.)
        cap = getattr(result, "max_output", None)
        chunks: list[bytes] = []
        total = 0
        while True:
            data = stream.read(65536)
            if not data:
                break
            total += len(data)
            if cap is not None and total > cap:
                result.truncated = True
                result.process.kill()
                break
            chunks.append(data)
        result.data = b"".join(chunks)

    def _collect_output(
        self, process: Popen[bytes], result: Any, writer: Any = None, stdin: Any = None
    ) -> int:
        result.process = process

        def expire() -> None:
            result.timed_out = True
            process.kill()

        timer = threading.Timer(self.timeout, expire)
        timer.daemon = True
        timer.start()
        try:
            return super()._collect_output(process, result, writer, stdin)
        finally:
            timer.cancel()


class Keyring:
    """A GNUPGHOME and the gpg binary that works on it."""

    def __init__(self, home: Path, gpg_binary: str, timeout: float) -> None:
        self.home = home
        try:
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise GpgError(f"cannot create GNUPGHOME {home}: {exc}") from exc
        try:
            gpg = _TimedGPG(timeout, gpgbinary=gpg_binary, gnupghome=str(home), options=list(SAFETY_OPTIONS))
        except (OSError, ValueError) as exc:
            raise GpgError(f"cannot run gpg ({gpg_binary}): {exc}") from exc
        self._gpg = gpg

    @property
    def version(self) -> tuple[int, ...] | None:
        return self._gpg.version

    def run(
        self, args: list[str], data: bytes = b"", passphrase: str | None = None, max_output: int | None = None
    ) -> GpgCall:
        """Run gpg with ``args``, ``data`` on stdin; never raises for gpg's own failures.

        With ``max_output``, gpg is killed as soon as its output passes that many bytes and
        the call is marked ``truncated`` (its data must not be used).
        """
        with tempfile.TemporaryDirectory(prefix="abusebox-gpg-") as tmp:
            log_path = Path(tmp) / "gpg.log"
            full = ["--log-file", str(log_path), *args]
            result = _Recorder(self._gpg)
            result.max_output = max_output
            try:
                self._gpg._handle_io(full, io.BytesIO(data), result, passphrase=passphrase, binary=True)
            except BrokenPipeError:
                # gpg stopped reading early (it failed, or was killed): its statuses say why.
                pass
            except OSError as exc:
                raise GpgError(f"cannot run gpg: {exc}") from exc
            log = _read_tail(log_path)
        noise = [line for line in result.stderr.splitlines() if line and not line.startswith(STATUS_PREFIX)]
        if result.returncode != 0:
            _logger.debug("gpg %s exited with %s", " ".join(args[:1]), result.returncode)
        return GpgCall(
            args=list(args),
            statuses=result.statuses,
            data=result.data if isinstance(result.data, bytes) else b"",
            returncode=result.returncode,
            timed_out=result.timed_out,
            truncated=result.truncated,
            log=log,
            noise=noise,
        )

    def command_line(self, args: list[str], passphrase: bool = False) -> list[str]:
        """The full gpg command line ``run`` would use (for tests and diagnostics)."""
        return list(self._gpg.make_args(["--log-file", "<tmp>", *args], passphrase))


def _read_tail(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - _LOG_TAIL_BYTES))
            return fh.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def home_path(settings: PgpSettings) -> Path:
    """GNUPGHOME as an absolute path (relative settings are relative to the current directory)."""
    return Path(settings.gnupghome).expanduser().resolve()


@lru_cache(maxsize=8)
def _cached(home: Path, gpg_binary: str, timeout: float) -> Keyring:
    return Keyring(home, gpg_binary, timeout)


def open_keyring(settings: PgpSettings) -> Keyring:
    """The Keyring for these settings, reused across messages (creating it runs gpg once)."""
    return _cached(home_path(settings), settings.gpg_binary, settings.timeout_seconds)


def passphrase(settings: PgpSettings) -> str | None:
    """Our key's passphrase from the environment variable the config names (None if unset).

    An empty value counts as unset: python-gnupg would pass ``--passphrase-fd 0`` without
    writing a passphrase line, and gpg would take the first line of the message as one.
    """
    if not settings.passphrase_env:
        return None
    return os.environ.get(settings.passphrase_env) or None
