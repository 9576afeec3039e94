"""Folder and Maildir walks on hostile trees: symlinks out, kernel files, unreadable folders.

Whoever can drop files into a folder abusebox ingests must not make it read (and keep
as exportable evidence) a file outside that folder: `/etc/shadow` through a symlink,
or `/proc/self/environ`, the process environment where the `*_env` secrets live.
Every file found is either read or reported, and one unreadable folder costs one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from abusebox.core.errors import SourceError
from abusebox.core.models import RawMessage
from abusebox.sources.local import _read_file, iter_maildir, iter_path

MAIL = b"From: reporter@example.org\nSubject: scan\n\n198.51.100.7 scanned us\n"
SECRET = b"From: root@example.org\nSubject: secret\n\nroot:$6$hash:19000:0:99999:7:::\n"


def walk(path: Path) -> tuple[list[RawMessage], list[SourceError]]:
    items = list(iter_path(path, "test"))
    return [i for i in items if isinstance(i, RawMessage)], [i for i in items if isinstance(i, SourceError)]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the dropped folder that looks like mail (the worst case)."""
    secret = tmp_path / "elsewhere" / "shadow"
    secret.parent.mkdir()
    secret.write_bytes(SECRET)
    return secret


def test_a_symlink_out_of_the_folder_is_reported_not_read(tmp_path: Path, outside: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.eml").write_bytes(MAIL)
    (drop / "b.eml").symlink_to(outside)
    (drop / "sub").symlink_to(outside.parent, target_is_directory=True)
    read, errors = walk(drop)
    assert [m.raw for m in read] == [MAIL]
    assert sorted(Path(e.args[0]).name for e in errors) == ["b.eml", "sub"]
    assert all("symlink out of the folder" in e.args[1] for e in errors)


def test_the_process_environment_is_never_read(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "environ.eml").symlink_to("/proc/self/environ")
    read, errors = walk(drop)
    assert read == [] and len(errors) == 1
    # Named on the command line it is refused too: a kernel file is never evidence.
    read, errors = walk(Path("/proc/self/environ"))
    assert read == [] and "kernel or device file" in errors[0].args[1]


def test_symlinks_inside_the_tree_and_the_named_path_are_followed(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.eml").write_bytes(MAIL)
    (real / "alias.eml").symlink_to(real / "a.eml")
    named = tmp_path / "named"
    named.symlink_to(real, target_is_directory=True)
    read, errors = walk(named)
    assert [m.raw for m in read] == [MAIL, MAIL] and errors == []


def test_a_maildir_symlink_out_is_reported(tmp_path: Path, outside: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "cur" / "1.M1P1.host:2,S").write_bytes(MAIL)
    (maildir / "new" / "2.M2P2.host").symlink_to(outside)
    items = list(iter_maildir(maildir, "test"))
    assert [i.raw for i in items if isinstance(i, RawMessage)] == [MAIL]
    errors = [i for i in items if isinstance(i, SourceError)]
    assert len(errors) == 1 and "symlink out of the Maildir" in errors[0].args[1]


def test_a_maildir_folder_that_is_a_kernel_view_is_never_read(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    (maildir / "cur").mkdir(parents=True)
    (maildir / "cur" / "1.M1P1.host:2,S").write_bytes(MAIL)
    (maildir / "new").symlink_to("/proc/self", target_is_directory=True)
    items = list(iter_maildir(maildir, "test"))
    assert [i.raw for i in items if isinstance(i, RawMessage)] == [MAIL]
    errors = {Path(i.args[0]).name: i.args[1] for i in items if isinstance(i, SourceError)}
    assert "kernel or device file" in errors["environ"]


def test_a_file_swapped_for_a_symlink_after_the_listing_is_not_followed(
    tmp_path: Path, outside: Path
) -> None:
    # The Maildir walk lists plain files, then opens them without following a symlink:
    # one put in a plain file's place between the two is refused, not read.
    link = tmp_path / "swapped"
    link.symlink_to(outside)
    item = _read_file(link, "test", None, follow=False)
    assert isinstance(item, SourceError) and "cannot read" in item.args[1]
    assert isinstance(_read_file(outside, "test", None, follow=False), RawMessage)


def test_every_file_of_a_folder_is_read_or_reported(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "report.txt").write_bytes(MAIL)
    (drop / "1234.M1P2.host").write_bytes(MAIL)
    (drop / "notes.csv").write_bytes(b"ip,count\n198.51.100.7,3\n")
    read, errors = walk(drop)
    assert sorted(Path(m.source_id).name for m in read) == ["1234.M1P2.host", "report.txt"]
    assert [(Path(e.args[0]).name, e.args[1]) for e in errors] == [
        ("notes.csv", "not a mail message (no header block)")
    ]


WALK_AS_NOBODY = """
import sys
from pathlib import Path
from abusebox.core.models import RawMessage
from abusebox.sources.local import iter_path
for item in iter_path(Path(sys.argv[1]), "test"):
    print("read" if isinstance(item, RawMessage) else f"error {Path(item.args[0]).name}: {item.args[1]}")
"""


def test_an_unreadable_subfolder_is_one_line_and_the_rest_is_read() -> None:
    # tmp_path may sit in a folder only root can enter; this tree must be reachable.
    with tempfile.TemporaryDirectory(prefix="abusebox-walk-") as top:
        root = Path(top)
        root.chmod(0o755)
        for name in ("a", "c"):
            (root / f"{name}.eml").write_bytes(MAIL)
        locked = root / "b-locked"
        (locked / "cur").mkdir(parents=True)
        (locked / "cur" / "1.M1P1.host").write_bytes(MAIL)
        for path in (root / "a.eml", root / "c.eml"):
            path.chmod(0o644)
        locked.chmod(0o000)
        # root reads every folder (CAP_DAC_OVERRIDE): walk without those capabilities.
        drop_caps = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
        command = [sys.executable, "-c", WALK_AS_NOBODY, str(root)]
        if os.geteuid() == 0:
            command = drop_caps + command
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        finally:
            locked.chmod(0o755)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines.count("read") == 2
    assert [line for line in lines if line != "read"] == ["error b-locked: cannot read: Permission denied"]
