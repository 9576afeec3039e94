"""Issue 15 defects 3, 4 and 11: folder and Maildir walks stay inside the tree they are given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from abusebox.core.errors import SourceError
from abusebox.core.models import RawMessage
from abusebox.sources.local import iter_maildir, iter_path

MAIL = b"From: a@example.org\nSubject: s%d\n\nbody %d\n"


def _split(items: list[RawMessage | SourceError]) -> tuple[list[RawMessage], dict[str, str]]:
    good = [i for i in items if isinstance(i, RawMessage)]
    errors = {Path(e.args[0]).name: e.args[1] for e in items if isinstance(e, SourceError)}
    return good, errors


def test_symlink_out_of_the_tree_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.eml").write_bytes(MAIL % (9, 9))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.eml").write_bytes(MAIL % (1, 1))
    (tree / "shadow.eml").symlink_to(outside / "secret.eml")
    (tree / "environ").symlink_to("/proc/self/environ")
    (tree / "dirlink").symlink_to(outside)
    good, errors = _split(list(iter_path(tree)))
    assert [g.source_id for g in good] == [str(tree / "a.eml")]
    assert all(b"s9" not in g.raw for g in good)
    assert "symlink" in errors["shadow.eml"]
    assert "symlink" in errors["environ"]
    assert "symlink" in errors["dirlink"]


def test_symlink_named_on_the_command_line_is_followed(tmp_path: Path) -> None:
    real = tmp_path / "real.eml"
    real.write_bytes(MAIL % (1, 1))
    link = tmp_path / "link.eml"
    link.symlink_to(real)
    good, errors = _split(list(iter_path(link)))
    assert len(good) == 1 and not errors


def test_maildir_symlink_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.write_bytes(MAIL % (9, 9))
    md = tmp_path / "md"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    (md / "new" / "1.M1P1.host").write_bytes(MAIL % (1, 1))
    (md / "new" / "2.M2P2.host").symlink_to(outside)
    good, errors = _split(list(iter_maildir(md, "local")))
    assert len(good) == 1 and b"s1" in good[0].raw
    assert "symlink" in errors["2.M2P2.host"]


def test_special_files_are_never_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.eml")
    good, errors = _split(list(iter_path(tmp_path)))
    assert not good and errors["fifo.eml"] == "not a regular file"
    _good, errors = _split(list(iter_path(Path("/proc/self/environ"))))
    assert "not read" in errors["environ"] or "special" in errors["environ"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read every folder")
def test_unreadable_subfolder_is_one_line_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(MAIL % (1, 1))
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "z.eml").write_bytes(MAIL % (2, 2))
    locked.chmod(0)
    try:
        good, errors = _split(list(iter_path(tmp_path)))
    finally:
        locked.chmod(0o700)
    assert len(good) == 2
    assert errors["locked"].startswith("cannot read")


def test_every_file_is_read_or_reported(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_bytes(MAIL % (1, 1))
    (tmp_path / "1234.M1P2.host").write_bytes(MAIL % (2, 2))
    (tmp_path / "notes.json").write_text("{}")
    good, errors = _split(list(iter_path(tmp_path)))
    assert sorted(Path(g.source_id).name for g in good) == ["1234.M1P2.host", "report.txt"]
    assert errors["notes.json"].startswith("not a mail")
