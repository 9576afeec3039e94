from __future__ import annotations

from pathlib import Path

from abusebox.errors import SourceError
from abusebox.models import RawMessage
from abusebox.sources.local import iter_mbox, iter_path

MAIL = b"From: a@example.org\nSubject: s%d\n\nbody %d\n"


def test_eml_file_and_folder_walk(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(MAIL % (1, 1))
    (tmp_path / "notes.json").write_text("{}")  # data files in a folder walk are not mail
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.msg").write_bytes(MAIL % (2, 2))
    items = list(iter_path(tmp_path))
    assert [i.source_id for i in items if isinstance(i, RawMessage)] == [
        str(tmp_path / "a.eml"),
        str(tmp_path / "sub" / "b.msg"),
    ]


def test_mbox_is_streamed_split_and_unquoted(tmp_path: Path) -> None:
    mbox = tmp_path / "box.mbox"
    mbox.write_bytes(
        b"From a@example.org Thu Nov 19 10:00:00 2026\n"
        + MAIL % (1, 1)
        + b">From the start of a body line\n\n"
        + b"From b@example.org Thu Nov 19 10:01:00 2026\n"
        + MAIL % (2, 2)
    )
    items = list(iter_mbox(mbox, "local"))
    assert len(items) == 2
    first = items[0]
    assert isinstance(first, RawMessage)
    assert b"\nFrom the start of a body line\n" in first.raw
    assert first.source_id == f"{mbox}@0"
    assert isinstance(items[1], RawMessage) and b"Subject: s2" in items[1].raw


def test_bad_items_are_errors_not_exceptions(tmp_path: Path) -> None:
    (tmp_path / "empty.eml").write_bytes(b"")
    (tmp_path / "binary.eml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "good.eml").write_bytes(MAIL % (3, 3))
    truncated = tmp_path / "trunc.mbox"
    truncated.write_bytes(b"From x Thu Nov 19 10:00:00 2026\n" + MAIL % (4, 4) + b"\nFrom y Thu Nov 19\nFro")
    results = list(iter_path(tmp_path)) + list(iter_path(tmp_path / "missing"))
    errors = {Path(e.args[0]).name: e.args[1] for e in results if isinstance(e, SourceError)}
    assert errors["empty.eml"] == "empty file"
    assert errors["binary.eml"].startswith("not a mail")
    assert errors["missing"] == "no such file or directory"
    good = [r for r in results if isinstance(r, RawMessage)]
    assert {b"Subject: s3" in r.raw or b"Subject: s4" in r.raw for r in good} == {True}


def test_maildir_keys_ignore_flag_changes(tmp_path: Path) -> None:
    md = tmp_path / "md"
    for d in ("cur", "new", "tmp"):
        (md / d).mkdir(parents=True)
    (md / "new" / "1.abc").write_bytes(MAIL % (1, 1))
    (md / "cur" / "2.def:2,S").write_bytes(MAIL % (2, 2))
    (md / "cur" / "junk:2,").write_bytes(b"\x00\x01binary")
    items = list(iter_path(md, "box"))
    ids = [i.source_id for i in items if isinstance(i, RawMessage)]
    assert ids == ["md/1.abc", "md/2.def"]
    assert sum(isinstance(i, SourceError) for i in items) == 1


def test_maildir_without_new_and_tmp_is_still_a_maildir(tmp_path: Path) -> None:
    md = tmp_path / "md"
    (md / "cur").mkdir(parents=True)
    (md / "cur" / "1.abc:2,").write_bytes(MAIL % (1, 1))
    assert [i.source_id for i in iter_path(md, "box") if isinstance(i, RawMessage)] == ["md/1.abc"]
