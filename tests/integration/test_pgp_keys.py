"""Keyring management and the ``abusebox keys`` commands."""

from __future__ import annotations

import argparse
import json
import socket
import time
from pathlib import Path

import pytest
from pgp_support import World, gpg, kill_agents, new_home

from abusebox.cli.keys import register
from abusebox.core.config import Settings
from abusebox.pgp.gpg import open_keyring
from abusebox.pgp.keys import list_keys, refresh_args
from abusebox.pgp.trust import TRUST_FILE


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return new_home(tmp_path / "gnupg")


def run_cli(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="abusebox")
    register(parser.add_subparsers(dest="command", required=True), argparse.ArgumentParser(add_help=False))
    args = parser.parse_args(list(argv))
    args.settings = settings
    return int(args.func(args))


def test_import_list_and_trust(
    w: World, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(pgp=w.settings(home))
    key_file = tmp_path / "alice.asc"
    key_file.write_bytes(gpg(w.signers, "--armor", "--export", w.fpr["alice"]).stdout)
    assert run_cli(settings, "keys", "import", str(key_file)) == 0
    assert w.fpr["alice"] in capsys.readouterr().out
    assert [k.fingerprint for k in list_keys(open_keyring(settings.pgp))] == [w.fpr["alice"]]

    assert run_cli(settings, "keys", "trust", w.fpr["alice"], "--reporter", "Alice@Reporter.Example") == 0
    stored = json.loads((home / TRUST_FILE).read_text())
    assert stored["bindings"][0]["fingerprint"] == w.fpr["alice"]
    assert stored["bindings"][0]["reporter"] == "alice@reporter.example"

    assert run_cli(settings, "keys", "list") == 0
    out = capsys.readouterr().out
    assert "Alice Reporter <alice@reporter.example>" in out
    assert "trusted for alice@reporter.example" in out


def test_trust_refuses_unknown_keys_and_short_ids(w: World, home: Path) -> None:
    settings = Settings(pgp=w.settings(home))
    assert run_cli(settings, "keys", "trust", w.fpr["mallory"], "--reporter", "cert@example.org") == 1
    assert run_cli(settings, "keys", "trust", w.fpr["mallory"][-16:], "--reporter", "cert@example.org") == 2
    assert not (home / TRUST_FILE).exists()


def test_import_of_garbage_fails_cleanly(w: World, home: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.asc"
    junk.write_bytes(
        b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n"
    )
    assert run_cli(Settings(pgp=w.settings(home)), "keys", "import", str(junk)) == 1


def test_gnupghome_is_relative_to_the_config_file(w: World, tmp_path: Path) -> None:
    config = tmp_path / "etc" / "abusebox.toml"
    config.parent.mkdir()
    settings = Settings(pgp=w.settings(Path("keyring")), path=str(config))
    assert run_cli(settings, "keys", "list") == 0
    assert (tmp_path / "etc" / "keyring").is_dir()


def test_refresh_uses_self_sigs_only_and_survives_an_unreachable_keyserver(
    w: World, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pgp = w.settings(home, keyserver=f"hkp://127.0.0.1:{port}", timeout_seconds=15.0)
    args = refresh_args(pgp)
    assert args[args.index("--import-options") + 1].split(",")[0] == "self-sigs-only"
    assert args[args.index("--keyserver") + 1] == f"hkp://127.0.0.1:{port}"
    line = open_keyring(pgp).command_line(args)
    assert "--no-auto-key-retrieve" in line and "--refresh-keys" in line
    settings = Settings(pgp=pgp)
    assert run_cli(settings, "keys", "refresh") == 0  # empty keyring: nothing to do, no network
    gpg(home, "--import", data=gpg(w.signers, "--export", w.fpr["alice"]).stdout)
    try:
        assert run_cli(settings, "keys", "refresh") == 1
        assert "failed" in capsys.readouterr().err
    finally:
        kill_agents(home)  # refresh starts a dirmngr


def test_a_hanging_gpg_is_killed_after_the_timeout(w: World, home: Path) -> None:
    # A keyserver that accepts the connection and never answers keeps gpg waiting.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        pgp = w.settings(home, keyserver=f"hkp://127.0.0.1:{server.getsockname()[1]}", timeout_seconds=1.0)
        gpg(home, "--import", data=gpg(w.signers, "--export", w.fpr["alice"]).stdout)
        started = time.monotonic()
        try:
            call = open_keyring(pgp).run(
                [*refresh_args(pgp)[:-1], "--keyserver-options", "timeout=30", "--refresh-keys"]
            )
        finally:
            kill_agents(home)
    assert call.timed_out
    assert call.describe_failure() == "gpg timed out"
    assert time.monotonic() - started < 10
