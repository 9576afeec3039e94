"""Keyring management: import, list, look up and refresh keys in our GNUPGHOME.

Refreshing is a separate, explicit job (``abusebox keys refresh``); the ingest path
never talks to a keyserver. A refresh only accepts self-signatures
(``import-options self-sigs-only``), so third-party signature spam on a keyserver cannot
bloat or poison our keyring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from abusebox.core.config import PgpSettings
from abusebox.parsing.addresses import parse_address
from abusebox.pgp.gpg import GpgCall, Keyring, open_keyring

_FPR = re.compile(r"^[0-9A-F]{40}$|^[0-9A-F]{64}$")
_COLON_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")
_UNUSABLE = ("r", "e", "i", "d")  # revoked, expired, invalid, disabled (gpg validity letters)


@dataclass
class UserId:
    text: str
    validity: str  # gpg's validity letter: r revoked, e expired, - unknown, u ultimate ...

    @property
    def address(self) -> str | None:
        """The e-mail address of the user ID, lower-cased (None if it has none)."""
        _name, addr = parse_address(self.text)
        return addr.lower() if addr and "@" in addr else None

    @property
    def usable(self) -> bool:
        return self.validity not in _UNUSABLE


@dataclass
class KeyInfo:
    """One certificate (primary key) from ``gpg --list-keys --with-colons``."""

    fingerprint: str
    validity: str
    created: int | None
    expires: int | None
    capabilities: str
    user_ids: list[UserId] = field(default_factory=list)
    subkey_fingerprints: list[str] = field(default_factory=list)
    secret: bool = False

    @property
    def usable(self) -> bool:
        return self.validity not in _UNUSABLE

    def addresses(self) -> set[str]:
        """Addresses of the user IDs that are neither revoked nor expired."""
        return {u.address for u in self.user_ids if u.usable and u.address}

    def can_encrypt(self) -> bool:
        return "E" in self.capabilities  # upper case: the key as a whole, with its subkeys


@dataclass
class ImportOutcome:
    fingerprints: list[str]
    imported: int
    unchanged: int
    ok: bool
    detail: str


def is_fingerprint(value: str) -> bool:
    return bool(_FPR.match(value.upper().replace(" ", "")))


def normalise_fingerprint(value: str) -> str:
    return value.upper().replace(" ", "")


def _unescape(field_value: str) -> str:
    return _COLON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), field_value)


def parse_colons(text: str, secret: bool = False) -> list[KeyInfo]:
    """Parse gpg's machine-readable key listing (``--with-colons --fixed-list-mode``)."""
    keys: list[KeyInfo] = []
    current: KeyInfo | None = None
    expect_primary_fpr = False
    for line in text.splitlines():
        fields = line.split(":")
        kind = fields[0]
        if kind in ("pub", "sec") and len(fields) > 11:
            current = KeyInfo(
                fingerprint="",
                validity=fields[1],
                created=int(fields[5]) if fields[5].isdigit() else None,
                expires=int(fields[6]) if fields[6].isdigit() else None,
                capabilities=fields[11],
                secret=secret or kind == "sec",
            )
            keys.append(current)
            expect_primary_fpr = True
        elif kind in ("sub", "ssb"):
            expect_primary_fpr = False
        elif kind == "fpr" and current is not None and len(fields) > 9:
            if expect_primary_fpr:
                current.fingerprint = fields[9]
                expect_primary_fpr = False
            else:
                current.subkey_fingerprints.append(fields[9])
        elif kind == "uid" and current is not None and len(fields) > 9:
            current.user_ids.append(UserId(_unescape(fields[9]), fields[1]))
    return [k for k in keys if k.fingerprint]


def list_keys(keyring: Keyring, selectors: list[str] | None = None, secret: bool = False) -> list[KeyInfo]:
    """Keys in the keyring, optionally only those matching fingerprints/key ids/addresses."""
    args = ["--list-secret-keys" if secret else "--list-keys", "--with-colons", "--fixed-list-mode"]
    args += ["--", *selectors] if selectors else []
    call = keyring.run(args)
    return parse_colons(call.data.decode("utf-8", "replace"), secret=secret)


def find_key(keyring: Keyring, fingerprint: str) -> KeyInfo | None:
    """The certificate whose primary or subkey fingerprint is ``fingerprint``."""
    wanted = normalise_fingerprint(fingerprint)
    for key in list_keys(keyring, [wanted]):
        if key.fingerprint == wanted or wanted in key.subkey_fingerprints:
            return key
    return None


def _import_outcome(call: GpgCall) -> ImportOutcome:
    fingerprints: list[str] = []
    for value in call.values("IMPORT_OK"):
        parts = value.split()
        if len(parts) >= 2 and parts[1] not in fingerprints:
            fingerprints.append(parts[1])
    imported = unchanged = 0
    for value in call.values("IMPORT_RES"):
        numbers = value.split()
        if len(numbers) >= 5 and numbers[2].isdigit() and numbers[4].isdigit():
            imported, unchanged = int(numbers[2]), int(numbers[4])
    problems = call.values("IMPORT_PROBLEM")
    ok = bool(fingerprints) and not call.timed_out
    detail = (
        f"{len(fingerprints)} key(s): {imported} imported, {unchanged} unchanged"
        if ok
        else f"no key imported: {call.describe_failure()}"
    )
    if problems:
        detail += f" ({len(problems)} problem(s): {', '.join(problems[:3])})"
    return ImportOutcome(fingerprints, imported, unchanged, ok, detail)


def import_keys(settings: PgpSettings, data: bytes) -> ImportOutcome:
    """Import armored or binary key material (public keys, our secret key, revocations)."""
    return _import_outcome(open_keyring(settings).run(["--import"], data))


def refresh_args(settings: PgpSettings) -> list[str]:
    """gpg arguments for ``keys refresh``: our keyserver, self-signatures only."""
    return [
        "--keyserver",
        settings.keyserver,
        "--import-options",
        "self-sigs-only,import-clean",
        "--keyserver-options",
        f"timeout={max(1, int(settings.timeout_seconds))}",
        "--refresh-keys",
    ]


def refresh_keys(settings: PgpSettings) -> ImportOutcome:
    """Fetch updates (revocations, new expiry dates) for the keys we hold; never in ingest."""
    keyring = open_keyring(settings)
    if not list_keys(keyring):
        return ImportOutcome([], 0, 0, True, "keyring is empty: nothing to refresh")
    call = keyring.run(refresh_args(settings))
    if call.ok or call.values("IMPORT_OK"):
        return (
            _import_outcome(call) if call.values("IMPORT_OK") else ImportOutcome([], 0, 0, True, "no updates")
        )
    return ImportOutcome(
        [], 0, 0, False, f"refresh from {settings.keyserver} failed: {call.describe_failure()}"
    )
