"""The incident and enrich commands, end to end through `abusebox ...`."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from incident_helpers import add_report
from sqlalchemy import select

from abusebox.cli import main
from abusebox.core.config import ConstituencyNetwork, Settings
from abusebox.core.models import Observation
from abusebox.incidents.grouping import Grouper
from abusebox.store.db import Database
from abusebox.store.schema import ObservationRow

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def cli(db: Database, db_url: str, tmp_path: Path) -> Path:
    cfg = tmp_path / "abusebox.toml"
    cfg.write_text(
        f'[database]\nurl = "{db_url}"\n\n[enrichment]\noffline = true\n\n'
        '[[constituency]]\nnetwork = "203.0.113.0/24"\nowner = "lab"\n'
    )
    grouper = Grouper(Settings(constituency=[]))
    for ip, day in (("192.0.2.1", 0), ("192.0.2.1", 1), ("192.0.2.2", 0)):
        with db.session() as session:
            stored = add_report(
                session, [Observation(ip=ip, time=T0 + timedelta(days=day), category="scan")], received=T0
            )
            grouper.group_report(session, stored, None, now=T0)
    return cfg


def run(cfg: Path, *args: str) -> int:
    return main(
        [*args[:2], "--config", str(cfg), *args[2:]]
        if args[0] == "incidents"
        else [args[0], "--config", str(cfg), *args[1:]]
    )


def test_incident_commands(
    cli: Path, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(cli, "incidents", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert {i["key"]: i["observations"] for i in listed} == {"192.0.2.1": 2, "192.0.2.2": 1}
    first = next(i["id"] for i in listed if i["key"] == "192.0.2.1")
    second = next(i["id"] for i in listed if i["key"] == "192.0.2.2")

    assert (
        run(cli, "incidents", "set-state", str(first), "recovering", "--note", "x", "--actor", "alice") == 1
    )
    assert "cannot go from new to recovering" in capsys.readouterr().err
    assert (
        run(cli, "incidents", "set-state", str(first), "triage", "--note", "confirmed", "--actor", "alice")
        == 0
    )
    assert run(cli, "incidents", "assign", str(first), "bob", "--actor", "alice") == 0
    assert run(cli, "incidents", "list", "--state", "triage", "--json") == 0
    capsys.readouterr()
    assert run(cli, "incidents", "show", str(first)) == 0
    shown = capsys.readouterr().out
    assert "State:       triage" in shown and "assignee bob" in shown
    assert "alice: state  (from: new, to: triage, note: confirmed)" in shown  # not a Python dict
    assert "First seen:  2026-11-01 00:00:00 UTC" in shown and "Work log (times UTC):" in shown
    assert "information-gathering/scanner" in shown  # the RSIT type
    assert "not enriched yet" in shown

    assert run(cli, "incidents", "merge", str(first), str(second), "--actor", "alice") == 0
    assert run(cli, "incidents", "unmerge", str(second)) == 0
    with db.session() as session:
        obs = list(session.scalars(select(ObservationRow.id).where(ObservationRow.incident_pk == first)))
    assert run(cli, "incidents", "split", str(first), "--observations", str(obs[0])) == 0
    out = capsys.readouterr().out
    assert "into new incident" in out

    zpath = tmp_path / "e.zip"
    assert run(cli, "incidents", "export", str(first), "--out", str(zpath)) == 0
    with zipfile.ZipFile(zpath) as zf:
        assert "manifest-sha256.txt" in zf.namelist()
    assert "1 messages" in capsys.readouterr().out
    assert run(cli, "incidents", "export", str(first), "--out", str(tmp_path)) == 1
    assert "cannot write" in capsys.readouterr().err  # a directory: a message, no traceback

    assert run(cli, "incidents", "show", str(first), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [e["action"] for e in data["events"]][-2:] == ["unmerged", "split"]
    assert data["assignee"] == "bob"


def test_enrich_pending_offline(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(cli, "enrich", "--pending") == 0
    out = capsys.readouterr().out
    assert "offline mode" in out and "2 pending" in out


def test_show_and_list_for_our_constituency(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ours: the owner's contact to notify and the closing record still required; --owner
    finds it by the constituency owner's (Japanese) name; observation ids for split."""
    cfg = tmp_path / "abusebox.toml"
    cfg.write_text(
        f'[database]\nurl = "{db_url}"\n\n[[constituency]]\nnetwork = "203.0.113.0/24"\n'
        'owner = "情報基盤センター"\ncontacts = ["noc@example.ac.jp"]\nlanguage = "ja"\n'
    )
    settings = Settings(constituency=[ConstituencyNetwork("203.0.113.0/24", "情報基盤センター")])
    with db.session() as session:
        obs = [
            Observation(
                ip="203.0.113.9", time=T0, category="brute-force", evidence="不正ログイン試行 203.0.113.9"
            )
        ]
        stored = add_report(session, obs, received=T0)
        (pk,) = Grouper(settings).group_report(session, stored, None, now=T0)
    capsys.readouterr()
    assert run(cfg, "incidents", "list", "--owner", "情報基盤センター", "--json") == 0
    assert [i["id"] for i in json.loads(capsys.readouterr().out)] == [pk]
    assert run(cfg, "incidents", "list", "--owner", "someone-else", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert run(cfg, "incidents", "list") == 0
    listed = capsys.readouterr().out
    assert "OWNER" in listed and "情報基盤センター" in listed and "FIRST SEEN (UTC)" in listed
    assert run(cfg, "incidents", "show", str(pk)) == 0
    shown = capsys.readouterr().out
    assert "ours: 情報基盤センター; notify noc@example.ac.jp (ja)" in shown
    assert "Closing record (required to resolve: ours):" in shown
    row = next(line for line in shown.splitlines() if "不正ログイン試行" in line)
    header = next(line for line in shown.splitlines() if line.startswith("OBS"))
    assert row.split()[0].isdigit() and header.index("EVIDENCE") > 0
