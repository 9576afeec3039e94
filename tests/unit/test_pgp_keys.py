"""Trust bindings and who may run gpg, without running it."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import REPO

from abusebox.pgp.trust import TRUST_FILE, TrustFileError, add_binding, load_bindings, trusted_reporter


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A GNUPGHOME folder for the trust file; no gpg runs in it."""
    path = tmp_path / "gnupg"
    path.mkdir(mode=0o700)
    return path


def test_trust_bindings(home: Path) -> None:
    fpr = "A" * 40
    add_binding(home, fpr, "jpcert.or.jp")
    add_binding(home, fpr, "jpcert.or.jp")  # idempotent
    assert [b.reporter for b in load_bindings(home)] == ["@jpcert.or.jp"]
    assert trusted_reporter(home, fpr, "info@jpcert.or.jp") == "@jpcert.or.jp"
    assert trusted_reporter(home, fpr, "info@evil.jpcert.or.jp.example") is None
    assert trusted_reporter(home, fpr, "info@sub.jpcert.or.jp") is None
    assert trusted_reporter(home, "B" * 40, "info@jpcert.or.jp") is None
    with pytest.raises(ValueError):
        add_binding(home, fpr, "two@at@signs")
    (home / TRUST_FILE).write_text("[1, 2]")
    with pytest.raises(TrustFileError):
        load_bindings(home)


def test_only_the_keyring_module_runs_gpg_and_only_the_cli_refreshes() -> None:
    # The ingest path must never fetch keys: gpg runs only through Keyring (which always
    # passes --no-auto-key-retrieve), and a keyserver refresh only from `abusebox keys`.
    package = REPO / "abusebox"
    for path in package.rglob("*.py"):
        rel = path.relative_to(package).as_posix()
        text = path.read_text(encoding="utf-8")
        if rel != "pgp/gpg.py":
            assert "import gnupg" not in text and "gnupg.GPG" not in text, rel
            assert not ("subprocess" in text and "gpg" in text.lower().replace("gpg_", "")), rel
        if rel not in ("pgp/keys.py", "cli/keys.py"):
            assert "refresh_keys" not in text and "--refresh-keys" not in text, rel
        assert "auto-key-retrieve" not in text.replace("--no-auto-key-retrieve", ""), rel
