"""The command line as users script it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import corpus_dir

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "inbox"


def abusebox(*args: str, cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("ABUSEBOX_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "abusebox", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=300,
    )


def init(tmp_path: Path, db_url: str) -> Path:
    config = tmp_path / "abusebox.toml"
    result = abusebox("init", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    text = config.read_text().replace('url = "sqlite:///var/abusebox.db"', f'url = "{db_url}"')
    config.write_text(text.replace('path = "examples/inbox"', f'path = "{EXAMPLES}"'))
    assert abusebox("db", "upgrade", "--config", str(config), cwd=tmp_path).returncode == 0
    return config


def test_parse_json_contract_from_file_and_stdin(tmp_path: Path) -> None:
    sample = next((EXAMPLES / "cur").glob("*01-ssh*"))
    out = abusebox("parse", "--json", str(sample), cwd=tmp_path)
    assert out.returncode == 0, out.stderr.decode()
    data = json.loads(out.stdout)
    assert set(data) == {
        "message_id",
        "from",
        "subject",
        "date",
        "language",
        "format",
        "pgp",
        "verdict",
        "spam",
        "category",
        "observations",
        "targets",
    }
    assert data["from"] == "security@reporter.example.net"
    assert data["date"] == "2026-11-19T09:32:11Z"
    assert set(data["pgp"]) == {"status", "fingerprint", "signer_matches_from", "encrypted"}
    assert set(data["spam"]) == {"score", "reasons"}
    assert data["verdict"] == "report"
    assert any(o["ip"] == "203.0.113.45" for o in data["observations"])
    for obs in data["observations"]:
        assert set(obs) == {"ip", "time", "category", "port", "evidence"}
    piped = abusebox("parse", "--json", "-", cwd=tmp_path, stdin=sample.read_bytes())
    assert json.loads(piped.stdout) == data


def test_parse_bad_input_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    for args in (("parse", "--json", str(empty)), ("parse", "--json", str(tmp_path / "missing.eml"))):
        result = abusebox(*args, cwd=tmp_path)
        assert result.returncode == 1
        assert b"Traceback" not in result.stderr
        assert len(result.stderr.decode().strip().splitlines()) == 1


def test_config_error_names_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[sources]]\nname = "a"\nkind = "imap"\nhost = "h"\nuser = "u"\nport = "x"\n')
    result = abusebox("messages", "list", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.decode().strip()
        == 'abusebox: config.toml: sources[0].port: expected an integer, got "x"'
    )


def test_ingest_summary_lists_and_idempotence(tmp_path: Path, db_url: str) -> None:
    config = init(tmp_path, db_url)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.eml").write_bytes(b"")
    first = abusebox("ingest", "--config", str(config), str(EXAMPLES), str(bad), cwd=tmp_path)
    assert first.returncode == 0, first.stderr.decode()
    assert first.stdout.decode().strip() == "read 13, new 13, duplicate 0, quarantined 0, unreadable 1"
    assert "empty.eml: empty file" in first.stderr.decode()
    assert b"Traceback" not in first.stderr
    second = abusebox("ingest", "--config", str(config), str(EXAMPLES), cwd=tmp_path)
    assert second.stdout.decode().strip() == "read 13, new 0, duplicate 13, quarantined 0"

    incidents = json.loads(
        abusebox("incidents", "list", "--json", "--config", str(config), cwd=tmp_path).stdout
    )
    assert any(i["key"] == "203.0.113.45" for i in incidents)
    show = abusebox(
        "incidents", "show", str(incidents[0]["id"]), "--json", "--config", str(config), cwd=tmp_path
    )
    assert json.loads(show.stdout)["id"] == incidents[0]["id"]
    human = abusebox("incidents", "list", "--config", str(config), cwd=tmp_path).stdout.decode()
    assert human.splitlines()[0].split()[:3] == ["ID", "STATE", "PRIO"]

    messages = json.loads(
        abusebox("messages", "list", "--json", "--config", str(config), cwd=tmp_path).stdout
    )
    assert len(messages) == 13 and {m["status"] for m in messages} == {"processed"}
    raw = abusebox("messages", "show", str(messages[0]["id"]), "--raw", "--config", str(config), cwd=tmp_path)
    import hashlib

    assert hashlib.sha256(raw.stdout).hexdigest() == messages[0]["sha256"]


def test_ingest_of_nothing_readable_fails(tmp_path: Path) -> None:
    config = init(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x00\x01\x02 not mail")
    result = abusebox("ingest", "--config", str(config), str(junk), cwd=tmp_path)
    assert result.returncode == 1
    assert "not a mail message" in result.stderr.decode()


def test_replay_quarantined(tmp_path: Path) -> None:
    config = init(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    text = config.read_text().replace("max_parts = 1000", "max_parts = 2")
    config.write_text(text)
    ingest = abusebox("ingest", "--config", str(config), str(EXAMPLES), cwd=tmp_path)
    assert "quarantined 3" in ingest.stdout.decode()  # the multipart examples
    config.write_text(text.replace("max_parts = 2", "max_parts = 1000"))
    replay = abusebox("replay", "--quarantined", "--config", str(config), cwd=tmp_path)
    assert replay.stdout.decode().strip() == "replayed 3, processed 3, quarantined 0"
    missing = abusebox("replay", "999", "--config", str(config), cwd=tmp_path)
    assert missing.returncode == 1 and "no such message: 999" in missing.stderr.decode()


def test_commands_refuse_an_uninitialised_database(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "fresh.db"}"\n')
    result = abusebox("incidents", "list", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "run `abusebox init` or `abusebox db upgrade`" in result.stderr.decode()


@pytest.mark.slow
def test_corpus_ingest_every_message_processed_or_quarantined(tmp_path: Path, db_url: str) -> None:
    corpus = corpus_dir()
    config = init(tmp_path, db_url)
    expected = len([p for p in corpus.rglob("*") if p.suffix in (".eml", ".msg")])
    first = abusebox("ingest", "--config", str(config), str(corpus), cwd=tmp_path)
    assert first.returncode == 0, first.stderr.decode()
    assert b"Traceback" not in first.stderr
    summary = first.stdout.decode().strip()
    assert summary.startswith(f"read {expected}, new {expected}, duplicate 0"), summary
    second = abusebox("ingest", "--config", str(config), str(corpus), cwd=tmp_path)
    assert second.stdout.decode().strip() == f"read {expected}, new 0, duplicate {expected}, quarantined 0"
    listed = json.loads(
        abusebox(
            "messages", "list", "--json", "--limit", "1000", "--config", str(config), cwd=tmp_path
        ).stdout
    )
    assert len(listed) == expected
    for message in listed:
        assert message["status"] in ("processed", "quarantined")
        if message["status"] == "quarantined":
            assert message["status_reason"]


def test_config_option_before_or_after_the_command(tmp_path: Path) -> None:
    config = init(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()  # no abusebox.toml here: only --config can find the database
    before = abusebox("--config", str(config), "messages", "list", "--json", cwd=elsewhere)
    after = abusebox("messages", "list", "--json", "--config", str(config), cwd=elsewhere)
    assert before.returncode == after.returncode == 0, before.stderr.decode()
    assert json.loads(before.stdout) == json.loads(after.stdout) == []


def test_junk_has_no_extraction_category(tmp_path: Path) -> None:
    out = abusebox(
        "parse",
        "--json",
        "-",
        cwd=tmp_path,
        stdin=(
            b"From: bob@partner.example\nSubject: Automatic reply: port scan from 192.0.2.7\n"
            b"Auto-Submitted: auto-replied\n\nI am out of the office. Your message about the port scan"
            b" from 192.0.2.7 will be read later.\n"
        ),
    )
    data = json.loads(out.stdout)
    assert data["verdict"] == "automated"
    assert data["category"] is None and data["observations"] == []
