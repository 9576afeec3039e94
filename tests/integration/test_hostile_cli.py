"""`abusebox ingest` and `abusebox parse` on hostile files: one clear line per bad item,
the rest processed, exit status non-zero only when nothing could be read, never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import hostile_cases as cases
from paths import REPO

MBOX_FROM = b"From a@example.org Thu Nov 19 10:00:00 2026\n"


def abusebox(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("ABUSEBOX_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "abusebox", *args], cwd=cwd, capture_output=True, env=env, timeout=120
    )


def setup(tmp_path: Path) -> Path:
    config = tmp_path / "abusebox.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "a.db"}"\n\n[limits]\nmessage_timeout_seconds = 5.0\n'
    )
    # --config before the command must count as much as after it.
    done = abusebox("--config", str(config), "db", "upgrade", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "a.db").exists() and not (tmp_path / "var").exists()
    return config


def hostile_tree(root: Path) -> Path:
    inbox = root / "in"
    (inbox / "md" / "cur").mkdir(parents=True)
    (inbox / "md" / "new").mkdir()
    (inbox / "nested.eml").write_bytes(cases.nested_multipart())
    (inbox / "html.eml").write_bytes(cases.html_unclosed())
    (inbox / "png.eml").write_bytes(cases.png_file())
    (inbox / "empty.eml").write_bytes(b"")
    (inbox / "notmail.eml").write_bytes(b"hello, this is not a mail\n")
    (inbox / "only-separator.mbox").write_bytes(MBOX_FROM)
    (inbox / "truncated.mbox").write_bytes(
        MBOX_FROM
        + b"From: a@example.org\nSubject: one\n\n"
        + cases.REPORT_LINE
        + b"\n"
        + MBOX_FROM
        + b"From: x@exa"
    )
    (inbox / "md" / "cur" / "1.host:2,S").write_bytes(cases.two_from_headers())
    (inbox / "md" / "cur" / "2.host:2,S").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(50))
    (inbox / "md" / "new" / "3.host").write_bytes(b"")
    os.mkfifo(inbox / "pipe.eml")  # opening it for reading would block forever
    os.mkfifo(inbox / "md" / "new" / "4.host")
    return inbox


def error_lines(stderr: bytes) -> list[str]:
    text = stderr.decode()
    assert "Traceback" not in text, text
    return [line for line in text.splitlines() if line.strip()]


def test_ingest_reports_each_bad_item_on_one_line_and_processes_the_rest(tmp_path: Path) -> None:
    config = setup(tmp_path)
    inbox = hostile_tree(tmp_path)
    done = abusebox("ingest", "--config", str(config), str(inbox), cwd=tmp_path)
    lines = error_lines(done.stderr)
    assert done.returncode == 0, lines
    # nested + html + two mbox messages + the Maildir mail
    assert done.stdout.decode().strip().startswith("read 5, new 5, duplicate 0, quarantined 1"), done.stdout
    expected = {
        "empty.eml: empty file",
        "notmail.eml: not a mail message",
        "png.eml: not a mail message",
        "only-separator.mbox: no message in mbox",
        "md/cur/2.host:2,S: not a mail message",
        "md/new/3.host: empty file",
        "pipe.eml: not a regular file",
        "md/new/4.host: not a regular file",
        "nested.eml: quarantined as message",
    }
    for fragment in expected:
        assert sum(fragment in line for line in lines) == 1, (fragment, lines)
    assert len(lines) == len(expected), lines  # one line per bad item, nothing else


def test_ingest_exits_non_zero_only_when_nothing_could_be_read(tmp_path: Path) -> None:
    config = setup(tmp_path)
    inbox = hostile_tree(tmp_path)
    bad = [inbox / "empty.eml", inbox / "notmail.eml", inbox / "only-separator.mbox", tmp_path / "missing"]
    done = abusebox("ingest", "--config", str(config), *map(str, bad), cwd=tmp_path)
    lines = error_lines(done.stderr)
    assert done.returncode == 1
    assert len(lines) == 4, lines
    assert "missing: no such file or directory" in lines[-1]


def test_parse_prints_a_result_or_one_error_line(tmp_path: Path) -> None:
    inbox = hostile_tree(tmp_path)
    quarantined = abusebox("parse", "--json", str(inbox / "nested.eml"), cwd=tmp_path)
    assert quarantined.returncode == 1
    assert json.loads(quarantined.stdout)["error"] == {
        "stage": "limits",
        "reason": "MIME nesting deeper than 20",
    }
    assert len(error_lines(quarantined.stderr)) == 1

    html = abusebox("parse", "--json", str(inbox / "html.eml"), cwd=tmp_path)
    assert html.returncode == 0 and not error_lines(html.stderr)
    assert [o["ip"] for o in json.loads(html.stdout)["observations"]] == ["203.0.113.9"]

    for name, fragment in (("empty.eml", "empty input"), (".", "cannot read")):
        done = abusebox("parse", str(inbox / name), cwd=tmp_path)
        assert done.returncode == 1 and not done.stdout
        (line,) = error_lines(done.stderr)
        assert fragment in line
