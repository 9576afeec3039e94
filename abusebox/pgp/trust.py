"""Reporter trust bindings: "this key fingerprint speaks for this reporter" (``keys trust``).

Stored as ``abusebox-trust.json`` inside GNUPGHOME so that trust lives next to the keys
it is about (backing up or moving the keyring moves both). The web-of-trust inside gpg is
not used: a desk decides explicitly which key belongs to which reporter.

A reporter is a full address (``cert@example.org``) or a domain (``@example.org`` or
``example.org``); a domain binding matches that exact domain, not its subdomains.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

TRUST_FILE = "abusebox-trust.json"


class TrustFileError(ValueError):
    """The trust file exists but is not what we wrote."""


@dataclass(frozen=True)
class TrustBinding:
    fingerprint: str
    reporter: str  # "user@domain" or "@domain"
    added: str  # UTC, ISO 8601

    def matches(self, address: str) -> bool:
        address = address.lower()
        if self.reporter.startswith("@"):
            return address.rpartition("@")[2] == self.reporter[1:]
        return address == self.reporter


def normalise_reporter(value: str) -> str:
    """``Cert@Example.org`` -> ``cert@example.org``; ``example.org`` -> ``@example.org``."""
    value = value.strip().lower()
    if not value or any(c.isspace() for c in value) or value.count("@") > 1:
        raise ValueError(f"not an address or domain: {value!r}")
    if "@" not in value:
        value = "@" + value
    local, _, domain = value.partition("@")
    if not domain or "." not in domain:
        raise ValueError(f"not an address or domain: {value!r}")
    return f"{local}@{domain}" if local else f"@{domain}"


def load_bindings(home: Path) -> list[TrustBinding]:
    path = home / TRUST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise TrustFileError(f"{path}: unreadable trust file: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("bindings"), list):
        raise TrustFileError(f"{path}: expected an object with a `bindings` array")
    out: list[TrustBinding] = []
    for item in data["bindings"]:
        if not isinstance(item, dict):
            raise TrustFileError(f"{path}: binding {item!r} is not an object")
        try:
            out.append(TrustBinding(str(item["fingerprint"]), str(item["reporter"]), str(item["added"])))
        except KeyError as exc:
            raise TrustFileError(f"{path}: binding without {exc}") from exc
    return out


def _save(home: Path, bindings: list[TrustBinding]) -> None:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    payload = json.dumps({"version": 1, "bindings": [asdict(b) for b in bindings]}, indent=2)
    fd, tmp = tempfile.mkstemp(dir=home, prefix=".trust-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload + "\n")
        os.replace(tmp, home / TRUST_FILE)  # atomic: readers never see half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_binding(home: Path, fingerprint: str, reporter: str) -> TrustBinding:
    """Bind ``fingerprint`` to ``reporter``; binding the same pair twice is a no-op."""
    reporter = normalise_reporter(reporter)
    fingerprint = fingerprint.upper().replace(" ", "")
    bindings = load_bindings(home)
    for existing in bindings:
        if existing.fingerprint == fingerprint and existing.reporter == reporter:
            return existing
    binding = TrustBinding(fingerprint, reporter, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _save(home, [*bindings, binding])
    return binding


def remove_binding(home: Path, fingerprint: str, reporter: str | None = None) -> int:
    """Drop the bindings of ``fingerprint`` (to ``reporter`` only, if given); return how many."""
    fingerprint = fingerprint.upper().replace(" ", "")
    wanted = normalise_reporter(reporter) if reporter else None
    bindings = load_bindings(home)
    kept = [b for b in bindings if not (b.fingerprint == fingerprint and wanted in (None, b.reporter))]
    if len(kept) != len(bindings):
        _save(home, kept)
    return len(bindings) - len(kept)


def trusted_reporter(home: Path, fingerprint: str, from_addr: str) -> str | None:
    """The reporter binding that lets ``fingerprint`` speak for ``from_addr``, if any.

    An exact address binding wins over a domain binding.
    """
    fingerprint = fingerprint.upper()
    matches = [b for b in load_bindings(home) if b.fingerprint == fingerprint and b.matches(from_addr)]
    matches.sort(key=lambda b: b.reporter.startswith("@"))
    return matches[0].reporter if matches else None
