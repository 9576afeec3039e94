"""PGP status as people see it: `abusebox messages show`, stored and fresh results alike."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pgp_support import (
    GPG,
    REPORT,
    World,
    message,
    multipart,
    part_bytes,
    pgp_mime_signed,
    text_part,
)

from abusebox.cli import main
from abusebox.parsing.mime import parse_message
from abusebox.pgp import check_pgp
from abusebox.pgp.describe import headline, lines


def signed_entity(w: World, who: str = "alice") -> bytes:
    signed = part_bytes(text_part(REPORT))
    return pgp_mime_signed(signed, w.detach_sign(who, signed))


def partial(w: World) -> bytes:
    extra = part_bytes(text_part("Also please block 192.0.2.66 immediately.\n"))
    head, body = multipart("multipart/mixed", [signed_entity(w), extra], "outer-b0undary")
    return message(head + b"\r\n" + body)


def test_warnings_come_first_and_say_what_is_not_covered(w: World) -> None:
    result, _ = check_pgp(parse_message(partial(w)), w.settings())
    assert headline(result) == "valid: PARTIALLY SIGNED"
    out = lines(result)
    assert out[0].startswith("WARNING: partially signed")
    assert "unsigned: Also please block 192.0.2.66 immediately." in out[1]
    assert f"signer: Alice Reporter <alice@reporter.example> ({w.fpr['alice']})" in out
    mismatch, _ = check_pgp(parse_message(message(signed_entity(w, "mallory"))), w.settings())
    assert headline(mismatch) == "invalid"
    assert lines(mismatch)[0].startswith("WARNING: the signer is not the From address")
    assert "signer matches From: no" in lines(mismatch)


def test_messages_show_prints_signer_trust_and_partial_signing(
    w: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "abusebox.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/abx.db"\n'
        f"[limits]\nworker_processes = 1\n[enrichment]\noffline = true\n"
        f'[pgp]\ngnupghome = "{w.ours}"\ngpg_binary = "{GPG}"\n'
    )
    (tmp_path / "partial.eml").write_bytes(partial(w))
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert main(["--config", str(config), "ingest", str(tmp_path / "partial.eml")]) == 0
    capsys.readouterr()
    assert main(["--config", str(config), "messages", "show", "1"]) == 0
    out = capsys.readouterr().out
    assert "pgp_status:     valid: PARTIALLY SIGNED" in out
    assert "WARNING: partially signed" in out
    assert f"signer: Alice Reporter <alice@reporter.example> ({w.fpr['alice']})" in out
    assert main(["--config", str(config), "messages", "show", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pgp_status"] == "valid"
    assert (data["pgp"]["verified"], data["pgp"]["partially_signed"]) == (False, True)
    assert data["pgp"]["fingerprint"] == w.fpr["alice"]


def test_unverifiable_signatures_do_not_flood_the_log(w: World, caplog: pytest.LogCaptureFixture) -> None:
    # gpg exits non-zero for every unknown key; python-gnupg would log a WARNING each time.
    signed = part_bytes(text_part(REPORT))
    raw = message(pgp_mime_signed(signed, w.detach_sign("unknown", signed)), "unknown@nowhere.example")
    with caplog.at_level(logging.DEBUG):
        result, _ = check_pgp(parse_message(raw), w.settings())
    assert result.status == "unknown_key"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("exited with 2" in r.getMessage() for r in caplog.records)  # still there for debugging
