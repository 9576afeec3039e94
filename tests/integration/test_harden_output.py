"""Issue 15 defect 5: evidence and From addresses never reach a terminal, CSV or JSON raw."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from incident_helpers import add_report

from abusebox.cli import main
from abusebox.core.config import Settings
from abusebox.core.models import Observation
from abusebox.core.safetext import clean, json_text
from abusebox.incidents.grouping import Grouper
from abusebox.store.db import Database

T0 = datetime(2026, 11, 1, tzinfo=UTC)
EVIL = (
    "sshd 192.0.2.1 \x1b]52;c;ZXZpbA==\x07 \x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\"
    " \x1b[2J\x07\x08 \x9b31m \u202egpj.exe"
)
REPORTER = "rep\u202eorter\x9b2J@example.org"
RAW_CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\n\t"] + [chr(c) for c in range(0x7F, 0xA0)]
BIDI = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
]


def _assert_inert(text: str) -> None:
    bad = [ch for ch in text if ch in RAW_CONTROLS or ch in BIDI]
    assert not bad, f"raw controls in output: {bad!r}"


def test_clean_and_json_text() -> None:
    _assert_inert(clean(EVIL))
    _assert_inert(clean("a\nb\tc" + EVIL, multiline=True))
    assert clean("a\nb\tc", multiline=True) == "a\nb\tc"
    text = json_text({"x": EVIL + "\u009b\u202e"})
    _assert_inert(text)
    assert json.loads(text) == {"x": EVIL + "\u009b\u202e"}


@pytest.fixture
def cli(db: Database, db_url: str, tmp_path: Path) -> Path:
    cfg = tmp_path / "abusebox.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n\n[enrichment]\noffline = true\n')
    with db.session() as session:
        obs = [Observation(ip="192.0.2.1", time=T0, category="brute-force", evidence=EVIL)]
        stored = add_report(session, obs, received=T0, reporter=REPORTER)
        Grouper(Settings(constituency=[])).group_report(session, stored, None, now=T0)
    return cfg


def test_draft_show_json_and_csv_are_clean(
    cli: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = ["--config", str(cli)]
    assert main(["incidents", "list", *cfg, "--json"]) == 0
    pk = json.loads(capsys.readouterr().out)[0]["id"]
    for args in (
        ["draft", *cfg, str(pk)],
        ["draft", *cfg, str(pk), "--json"],
        ["incidents", "show", *cfg, str(pk)],
        ["incidents", "show", *cfg, str(pk), "--json"],
    ):
        assert main(args) == 0
        out = capsys.readouterr().out
        _assert_inert(out)
    out_zip = tmp_path / "e.zip"
    assert main(["incidents", "export", *cfg, str(pk), "--out", str(out_zip)]) == 0
    with zipfile.ZipFile(out_zip) as zf:
        csv_text = zf.read("observations.csv").decode("utf-8-sig")
    _assert_inert(csv_text.replace("\r\n", "\n"))
    assert "192.0.2.1" in csv_text
