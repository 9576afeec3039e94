"""The command line as users script it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from paths import EXAMPLES, REPO
from services import corpus_dir


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
        assert set(obs) == {"ip", "time", "time_end", "category", "port", "evidence"}
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
    missing = abusebox("parse", "--json", str(tmp_path / "missing.eml"), cwd=tmp_path)
    assert json.loads(missing.stdout) == {
        "error": {"stage": "read", "reason": "cannot read: No such file or directory"}
    }
    assert json.loads(abusebox("parse", "--json", str(empty), cwd=tmp_path).stdout) == {
        "error": {"stage": "read", "reason": "empty input"}
    }
    config = tmp_path / "small.toml"
    config.write_text("[limits]\nmax_message_bytes = 100\nmax_read_bytes = 100\n")
    big = b"From: a@example.org\nSubject: big\n\n" + b"x" * 200
    over = abusebox("parse", "--json", "-", "--config", str(config), cwd=tmp_path, stdin=big)
    assert over.returncode == 1
    assert json.loads(over.stdout)["error"]["stage"] == "limits"
    assert "over 100 bytes (limits.max_message_bytes)" in over.stderr.decode()


def test_parse_human_output_cleans_what_the_sender_wrote(tmp_path: Path) -> None:
    sample = tmp_path / "h.eml"
    sample.write_bytes(HOSTILE_SUBJECT)
    result = abusebox("parse", str(sample), cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "Subject:  不正アクセスの通報 \ufffd[2J\ufffd]0;pwned\ufffd \ufffdgpj.exe\n" in out
    assert "\x1b" not in out and "\u202e" not in out


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
    # REASON shows the deciding reason, the verdict and its strongest rule, for every processed mail.
    listed = abusebox("messages", "list", "--config", str(config), cwd=tmp_path).stdout.decode().splitlines()
    rows = [line for line in listed[1:] if not set(line) <= {"-", " "}]
    assert len(rows) == 13
    pattern = re.compile(r"(?:report|spam|non-incident|automated): score [+-]\d")
    assert all(pattern.search(row) for row in rows), rows
    raw = abusebox("messages", "show", str(messages[0]["id"]), "--raw", "--config", str(config), cwd=tmp_path)
    import hashlib

    assert hashlib.sha256(raw.stdout).hexdigest() == messages[0]["sha256"]

    # README.md documents these objects: it must stay true.
    shown = json.loads(
        abusebox(
            "messages", "show", str(messages[0]["id"]), "--json", "--config", str(config), cwd=tmp_path
        ).stdout
    )
    incident = json.loads(show.stdout)
    assert set(messages[0]) == readme_fields("`messages list --json`: a list of", "; `messages show")
    assert set(shown) == set(messages[0]) | readme_fields("`messages show --json` adds", ".\n* `incidents")
    assert set(incidents[0]) == readme_fields("`incidents list --json`: a list of", ";\n  `incidents show")
    assert set(incident) == set(incidents[0]) | readme_fields(
        "`incidents show --json` adds", ".\n\nAll times"
    )
    assert set(incident["observations"][0]) == {
        "id",
        "ip",
        "time",
        "time_end",
        "category",
        "port",
        "evidence",
        "message_id",
    }
    assert set(incident["events"][0]) == {"at", "actor", "action", "detail"}


def readme_fields(start: str, end: str) -> set[str]:
    """The top-level field names README.md lists between ``start`` and ``end``."""
    import re

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(start) + len(start) :]
    section = section[: section.index(end)].strip()
    if section.startswith("{"):  # "a list of {...}": the object itself
        section = section[1 : section.rindex("}")]
    while True:  # drop nested objects, lists and parenthesised remarks
        inner = re.sub(r"\{[^{}]*\}|\[[^\[\]]*\]|\([^()]*\)", "", section)
        if inner == section:
            break
        section = inner
    return set(re.findall(r"`(\w+)`", section))


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
    files = [
        p for p in corpus.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.parts)
    ]
    expected = len([p for p in files if p.suffix in (".eml", ".msg")])
    others = len(files) - expected  # feeds and expectation files: each reported, none skipped silently
    first = abusebox("ingest", "--config", str(config), str(corpus), cwd=tmp_path)
    assert first.returncode == 0, first.stderr.decode()
    assert b"Traceback" not in first.stderr
    summary = first.stdout.decode().strip()
    assert summary.startswith(f"read {expected}, new {expected}, duplicate 0"), summary
    second = abusebox("ingest", "--config", str(config), str(corpus), cwd=tmp_path)
    assert (
        second.stdout.decode().strip()
        == f"read {expected}, new 0, duplicate {expected}, quarantined 0, unreadable {others}"
    )
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


def test_init_is_idempotent_and_force_rewrites(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "abusebox.toml"
    first = abusebox("init", "--config", str(config), cwd=tmp_path)
    assert first.returncode == 0, first.stderr.decode()
    assert first.stdout.decode().startswith(f"{config}: written")
    assert (tmp_path / "etc" / "var" / "abusebox.db").exists()  # relative to the config file
    config.write_text(config.read_text() + "\n# edited by the desk\n")
    again = abusebox("init", "--config", str(config), cwd=tmp_path)
    assert again.returncode == 0 and "exists, kept (use --force to overwrite)" in again.stdout.decode()
    assert config.read_text().endswith("# edited by the desk\n")
    forced = abusebox("init", "--force", "--config", str(config), cwd=tmp_path)
    assert forced.returncode == 0 and f"{config}: written" in forced.stdout.decode()
    assert "# edited by the desk" not in config.read_text()
    assert "schema at" in forced.stdout.decode()


HOSTILE_SUBJECT = (
    b"From: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>\n"
    b"Subject: =?UTF-8?B?5LiN5q2j44Ki44Kv44K744K544Gu6YCa5aCx?= \x1b[2J\x1b]0;pwned\x07"
    b" =?UTF-8?B?4oCuZ3BqLmV4ZQ==?=\n"
    b"Message-ID: <h@example.jp>\nContent-Type: text/plain; charset=utf-8\n\n"
    b"203.0.113.9 \xe3\x81\x8b\xe3\x82\x89\xe3\x81\xae\xe6\x94\xbb\xe6\x92\x83\n"
)


def test_human_output_is_aligned_for_japanese_and_safe_from_control_characters(tmp_path: Path) -> None:
    config = init(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    mail = tmp_path / "hostile.eml"
    mail.write_bytes(HOSTILE_SUBJECT)
    assert abusebox("ingest", "--config", str(config), str(EXAMPLES), str(mail), cwd=tmp_path).returncode == 0
    listing = abusebox("messages", "list", "--config", str(config), cwd=tmp_path).stdout.decode()
    shown = abusebox("messages", "show", "14", "--config", str(config), cwd=tmp_path).stdout.decode()
    for out in (listing, shown):
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "subject:        不正アクセスの通報 \ufffd[2J\ufffd]0;pwned\ufffd \ufffdgpj.exe" in shown
    assert "reasons:\n  - " in shown
    from abusebox.cli.output import _width

    lines = listing.splitlines()
    subject_col = _width(lines[0][: lines[0].index("SUBJECT")])
    japanese = [line for line in lines if "不正アクセスの通報" in line or "【不正アクセス報告】" in line]
    assert len(japanese) == 2
    for line in japanese:
        start = min(i for i in (line.find("不正"), line.find("【")) if i >= 0)
        assert _width(line[:start]) == subject_col, line


def test_ingest_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios
    import threading

    config = init(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    mbox = tmp_path / "many.mbox"
    # Enough messages to outlast the bar's half-second delay (a handful never shows one).
    mbox.write_bytes(
        b"".join(
            b"From x Thu Nov 19\nFrom: a@example.org\nSubject: n%d\n\nscan from 192.0.2.%d\n\n" % (i, i % 250)
            for i in range(2000)
        )
    )
    piped = abusebox("ingest", "--config", str(config), str(mbox), cwd=tmp_path)
    assert piped.stdout.decode() == "read 2000, new 2000, duplicate 0, quarantined 0\n"
    assert b"msg" not in piped.stderr and b"\r" not in piped.stderr

    mbox.write_bytes(mbox.read_bytes().replace(b"Subject: n", b"Subject: m"))  # new bytes again
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    seen: list[bytes] = []

    def drain() -> None:  # read while the child writes: a full pty would block it
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal side is closed
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "abusebox", "ingest", "--config", str(config), str(mbox)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=terminal,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=300,
        )
    finally:
        os.close(terminal)
        reader.join(timeout=10)
        os.close(controller)
    assert done.stdout.decode() == "read 2000, new 2000, duplicate 0, quarantined 0\n"
    assert b"msg/s]" in b"".join(seen)  # tqdm's bar, on the terminal only


def test_messages_show_gives_the_recorded_traceback(tmp_path: Path) -> None:
    from abusebox.core.config_file import load_settings
    from abusebox.store import messages as message_store
    from abusebox.store.db import Database

    config = init(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    assert abusebox("ingest", "--config", str(config), str(EXAMPLES), cwd=tmp_path).returncode == 0
    db = Database(load_settings(config).database_url())
    trace = 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad \x1b[31mbyte'
    with db.session() as session:
        message_store.mark(session, 1, "quarantined", reason="boom", stage="extract", traceback=trace)
    data = json.loads(
        abusebox("messages", "show", "1", "--json", "--config", str(config), cwd=tmp_path).stdout
    )
    assert data["traceback"] == trace and data["failed_stage"] == "extract"
    human = abusebox("messages", "show", "1", "--config", str(config), cwd=tmp_path).stdout.decode()
    assert "traceback:\n  Traceback (most recent call last):\n" in human
    assert "  ValueError: bad \ufffd[31mbyte" in human
    other = json.loads(
        abusebox("messages", "show", "2", "--json", "--config", str(config), cwd=tmp_path).stdout
    )
    assert other["traceback"] is None


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[database]\nurl = "postgresql+psycopg://desk:s3cret@127.0.0.1:1/x"\n')
    for command in (("db", "upgrade"), ("db", "current"), ("messages", "list"), ("init",)):
        result = abusebox(*command, "--config", str(config), cwd=tmp_path)
        stderr = result.stderr.decode()
        assert result.returncode == 2, (command, stderr)
        assert stderr.startswith(
            "abusebox: database postgresql+psycopg://desk:***@127.0.0.1:1/x: cannot connect"
        )
        assert "s3cret" not in stderr and "Traceback" not in stderr and len(stderr.splitlines()) == 1
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "file"}/sub/x.db"\n')
    (tmp_path / "file").write_text("a file where a folder should be")
    result = abusebox("db", "upgrade", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr.decode()
    unwritable = abusebox("init", "--config", str(tmp_path / "file" / "abusebox.toml"), cwd=tmp_path)
    assert unwritable.returncode == 1
    assert "abusebox.toml: cannot write: " in unwritable.stderr.decode()


def test_messages_list_says_when_the_limit_cut_it(tmp_path: Path) -> None:
    config = init(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    assert abusebox("ingest", "--config", str(config), str(EXAMPLES), cwd=tmp_path).returncode == 0
    cut = abusebox("messages", "list", "--limit", "5", "--config", str(config), cwd=tmp_path)
    assert len(cut.stdout.decode().splitlines()) == 2 + 5
    assert cut.stderr.decode() == "abusebox: showing the 5 newest; --limit N for more\n"
    whole = abusebox("messages", "list", "--config", str(config), cwd=tmp_path)
    assert len(whole.stdout.decode().splitlines()) == 2 + 13 and whole.stderr == b""


def test_ingest_error_lines_are_one_line_and_clean(tmp_path: Path) -> None:
    config = init(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "evil\x1b[2J\nname.eml").write_bytes(b"")
    (bad / "good.eml").write_bytes(HOSTILE_SUBJECT)
    result = abusebox("ingest", "--config", str(config), str(bad), cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr.decode() == f"abusebox: {bad}/evil\ufffd[2J name.eml: empty file\n"
    assert result.stdout.decode() == "read 1, new 1, duplicate 0, quarantined 0, unreadable 1\n"


def test_init_force_repairs_a_broken_config_and_init_follows_abusebox_config(tmp_path: Path) -> None:
    broken = tmp_path / "abusebox.toml"
    broken.write_text("[database\n")
    assert abusebox("init", cwd=tmp_path).returncode == 2  # kept: says what is wrong
    assert broken.read_text() == "[database\n"
    forced = abusebox("init", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr.decode()
    assert "[database]" in broken.read_text() and (tmp_path / "var" / "abusebox.db").exists()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = tmp_path / "etc" / "desk.toml"
    via_env = subprocess.run(  # the helper drops ABUSEBOX_CONFIG; here it is the point
        [sys.executable, "-m", "abusebox", "init"],
        cwd=elsewhere,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "ABUSEBOX_CONFIG": str(target)},
        timeout=300,
    )
    assert via_env.returncode == 0, via_env.stderr.decode()
    assert target.exists() and not (elsewhere / "abusebox.toml").exists()
