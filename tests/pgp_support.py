"""Keys and message builders for the PGP tests (real gpg binary, keys made once per session).

``world()`` generates every key once per test process in a temporary "world" GNUPGHOME
(where the senders sign) and builds "our" GNUPGHOME (the desk's keyring: our secret key
and the public keys a desk would have imported). Messages are built with the email
package and signed over their exact bytes, independently of abusebox.pgp.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.policy import SMTP
from functools import cache
from pathlib import Path

from abusebox.core.config import PgpSettings

GPG = shutil.which("gpg") or "/usr/bin/gpg"
OURS = "Example CSIRT <csirt@example.net>"
ALICE = "Alice Reporter <alice@reporter.example>"
MALLORY = "Mallory <mallory@elsewhere.example>"
UNKNOWN = "Unknown <unknown@nowhere.example>"
OLD = "Old Reporter <old@reporter.example>"
REVOKED = "Revoked Reporter <rev@reporter.example>"
OTHER = "Other Team <other@elsewhere.example>"


def gpg(
    home: Path, *args: str, data: bytes = b"", check: bool = True, passphrase: str = ""
) -> subprocess.CompletedProcess[bytes]:
    cmd = [
        GPG,
        "--homedir",
        str(home),
        "--batch",
        "--no-tty",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        passphrase,
    ]
    proc = subprocess.run([*cmd, *args], input=data, capture_output=True, timeout=30, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"gpg {args} failed: {proc.stderr.decode(errors='replace')}")
    return proc


def fingerprint(home: Path, uid: str) -> str:
    out = gpg(home, "--with-colons", "--list-keys", uid).stdout.decode()
    return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr"))


@dataclass(frozen=True)
class World:
    signers: Path  # every secret key: where test messages are signed
    ours: Path  # the desk's GNUPGHOME
    fpr: dict[str, str]

    def settings(self, home: Path | None = None, **changes: object) -> PgpSettings:
        base = PgpSettings(gnupghome=str(home or self.ours), gpg_binary=GPG, key_fingerprint=self.fpr["ours"])
        return replace(base, **changes)  # type: ignore[arg-type]

    def detach_sign(self, who: str, data: bytes, *extra: str) -> bytes:
        return gpg(self.signers, "-u", self.fpr[who], *extra, "--armor", "--detach-sign", data=data).stdout

    def clearsign(self, who: str, text: bytes) -> bytes:
        return gpg(self.signers, "-u", self.fpr[who], "--clearsign", data=text).stdout

    def encrypt(self, data: bytes, to: str, *extra: str) -> bytes:
        return gpg(
            self.signers,
            "--trust-model",
            "always",
            "-r",
            self.fpr[to],
            *extra,
            "--armor",
            "--encrypt",
            data=data,
        ).stdout


def _make_world(root: Path) -> World:
    signers, ours = root / "signers", root / "ours"
    signers.mkdir(mode=0o700)
    ours.mkdir(mode=0o700)
    fpr: dict[str, str] = {}
    people = (("ours", OURS), ("alice", ALICE), ("mallory", MALLORY), ("unknown", UNKNOWN), ("other", OTHER))
    for name, uid in people:
        gpg(signers, "--quick-gen-key", uid, "ed25519", "sign", "0")
        fpr[name] = fingerprint(signers, uid)
    for name in ("ours", "alice", "other"):
        gpg(signers, "--quick-add-key", fpr[name], "cv25519", "encr", "0")
    # Expired: made in 2020 with a June 2020 expiry; it signs in February 2020.
    gpg(
        signers,
        "--faked-system-time",
        "20200101T000000",
        "--quick-gen-key",
        OLD,
        "ed25519",
        "sign",
        "2020-06-01",
    )
    fpr["old"] = fingerprint(signers, OLD)
    gpg(signers, "--quick-gen-key", REVOKED, "ed25519", "sign", "0")
    fpr["revoked"] = fingerprint(signers, REVOKED)
    # The desk's keyring: our secret key and the public keys of the reporters it knows.
    gpg(ours, "--import", data=gpg(signers, "--export-secret-keys", fpr["ours"]).stdout)
    public = gpg(signers, "--export", fpr["alice"], fpr["mallory"], fpr["old"], fpr["revoked"]).stdout
    gpg(ours, "--import", data=public)
    # Only our copy of the key is revoked, so the sender can still sign with it.
    rev = (signers / "openpgp-revocs.d" / f"{fpr['revoked']}.rev").read_bytes()
    gpg(ours, "--import", data=rev.replace(b":-----BEGIN", b"-----BEGIN"))
    return World(signers, ours, fpr)


def kill_agents(*homes: Path) -> None:
    for home in homes:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, timeout=10)


_HOMES: list[Path] = []


def new_home(path: Path) -> Path:
    """A fresh GNUPGHOME whose gpg-agent/dirmngr are stopped when the test run ends."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    if not _HOMES:
        atexit.register(lambda: kill_agents(*_HOMES))
    _HOMES.append(path)
    return path


@cache
def world() -> World:
    root = Path(tempfile.mkdtemp(prefix="abx-pgp-"))
    made = _make_world(root)

    def cleanup() -> None:
        kill_agents(made.signers, made.ours)
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(cleanup)
    return made


# --- message builders ---------------------------------------------------------------


def text_part(text: str, **params: str) -> EmailMessage:
    part = EmailMessage()
    part.set_content(text, **params)  # type: ignore[arg-type]
    del part["MIME-Version"]
    return part


def part_bytes(part: EmailMessage) -> bytes:
    """A MIME part serialised once, CRLF; these are the bytes that get signed and sent."""
    data = part.as_bytes(policy=SMTP)
    return data[:-2] if data.endswith(b"\r\n") else data


def headers(from_: str | list[str] = "alice@reporter.example", subject: str = "abuse report") -> bytes:
    froms = [from_] if isinstance(from_, str) else from_
    lines = [f"From: {f}" for f in froms]
    lines += ["To: abuse@example.net", f"Subject: {subject}", "Date: Thu, 19 Nov 2026 13:05:00 +0000"]
    lines += ["Message-ID: <test@reporter.example>", "MIME-Version: 1.0"]
    return ("\r\n".join(lines) + "\r\n").encode()


def multipart(ctype: str, parts: list[bytes], boundary: str) -> tuple[bytes, bytes]:
    """(Content-Type header line, body) of a multipart with the given exact part bytes."""
    b = boundary.encode()
    body = (
        b"preamble\r\n" + b"".join(b"--" + b + b"\r\n" + p + b"\r\n" for p in parts) + b"--" + b + b"--\r\n"
    )
    return f'Content-Type: {ctype}; boundary="{boundary}"\r\n'.encode(), body


def sig_part(signature: bytes) -> bytes:
    return b"Content-Type: application/pgp-signature; name=signature.asc\r\n\r\n" + signature


def pgp_mime_signed(signed: bytes, signature: bytes, boundary: str = "sig-b0undary") -> bytes:
    """The multipart/signed entity (its own headers + body) for ``signed`` part bytes."""
    ctype = 'multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"'
    head, body = multipart(ctype, [signed, sig_part(signature)], boundary)
    return head + b"\r\n" + body


def message(entity: bytes, from_: str | list[str] = "alice@reporter.example") -> bytes:
    """A top-level message: our headers followed by ``entity`` (its headers and body)."""
    return headers(from_) + entity


REPORT = (
    "Dear abuse team,\n\n"
    "We observed SSH brute-force attempts from 203.0.113.9 against our server.\n"
    "2026-11-19 01:20:30 UTC sshd: Failed password for root from 203.0.113.9 port 52113\n"
)
