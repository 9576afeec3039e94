from __future__ import annotations

from pathlib import Path

from paths import REPO

from abusebox.core.errors import SourceError
from abusebox.core.models import RawMessage
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


def test_long_lines_are_read_in_pieces_and_reassembled(tmp_path: Path) -> None:
    # "From " right after a piece boundary inside one long line is body text, not a separator.
    long_line = b"a" * (64 * 1024) + b"From evil@example.org Thu Nov 19 10:00:00 2026\n"
    mbox = tmp_path / "long.mbox"
    mbox.write_bytes(b"From x Thu Nov 19\n" + MAIL % (1, 1) + b"\n" + long_line + b"tail\n")
    items = list(iter_mbox(mbox, "local"))
    assert len(items) == 1 and isinstance(items[0], RawMessage)
    assert items[0].raw == MAIL % (1, 1) + b"\n" + long_line + b"tail\n"


def test_message_over_the_read_cap_is_an_error_and_the_rest_is_read(tmp_path: Path) -> None:
    big = b"From: a@example.org\nSubject: big\n\n" + b"x" * 5000 + b"\n"
    mbox = tmp_path / "box.mbox"
    mbox.write_bytes(b"From a Thu Nov 19\n" + big + b"\nFrom b Thu Nov 19\n" + MAIL % (2, 2))
    items = list(iter_mbox(mbox, "local", max_bytes=4096))
    assert isinstance(items[0], SourceError) and "over limits.max_read_bytes (4096)" in items[0].args[1]
    assert items[0].args[0] == f"{mbox}@0"
    assert isinstance(items[1], RawMessage) and b"Subject: s2" in items[1].raw
    eml = tmp_path / "big.eml"
    eml.write_bytes(big)
    error = next(iter(iter_path(eml, max_bytes=4096)))
    assert isinstance(error, SourceError) and "over limits.max_read_bytes" in error.args[1]
    assert isinstance(next(iter(iter_path(eml, max_bytes=None))), RawMessage)


# Run in a fresh interpreter: ru_maxrss is the process's peak, so inside pytest an earlier
# test's peak could hide growth here and the check could not fail.
_RSS_PROBE = """
import resource, sys
from pathlib import Path
from abusebox.core.errors import SourceError
from abusebox.core.models import RawMessage
from abusebox.sources.local import iter_mbox

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kinds = []
for item in iter_mbox(Path(sys.argv[1]), "local", max_bytes=64 * 1024 * 1024):
    kinds.append("raw" if isinstance(item, RawMessage) else "error:" + item.args[1])
growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(growth_kb)
print("|".join(kinds))
"""


def test_a_huge_mbox_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    """~200 MB: a normal message, one with a 200 MB body without a single newline (the
    sparse hole reads as NULs: one line to a naive reader), then thousands of small ones."""
    import subprocess
    import sys

    mbox = tmp_path / "huge.mbox"
    hole = 200 * 1024 * 1024
    with mbox.open("wb") as fh:
        fh.write(b"From a Thu Nov 19\n" + MAIL % (1, 1) + b"\n")
        fh.write(b"From b Thu Nov 19\nFrom: b@example.org\nSubject: huge\n\n")
        fh.seek(hole, 1)  # sparse: costs no disk
        fh.write(b"\n\n")
        for i in range(3000):
            fh.write(b"From c Thu Nov 19\n" + MAIL % (i, i) + b"\n")
    assert mbox.stat().st_size > hole
    repo = REPO
    done = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(mbox)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    growth_kb, kinds = done.stdout.split("\n")[:2]
    items = kinds.split("|")
    assert len(items) == 3002 and items[0] == "raw" and set(items[2:]) == {"raw"}
    assert items[1].startswith(f"error:message of {hole + 37} bytes is over limits.max_read_bytes")
    assert int(growth_kb) < 32 * 1024, f"peak RSS grew by {growth_kb} KiB while streaming"


def test_a_symlink_loop_is_walked_once(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(MAIL % (1, 1))
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.eml").write_bytes(MAIL % (2, 2))
    (sub / "up").symlink_to(tmp_path)  # back to the top: a naive walk repeats everything
    (sub / "self").symlink_to(sub)
    ids = [i.source_id for i in iter_path(tmp_path) if isinstance(i, RawMessage)]
    assert ids == [str(tmp_path / "a.eml"), str(sub / "b.eml")]


def test_crlf_mbox_gives_back_the_exact_messages(tmp_path: Path) -> None:
    one = b"From: a@example.org\r\nSubject: s1\r\n\r\nbody 1\r\n"
    two = b"From: b@example.org\r\nSubject: s2\r\n\r\nbody 2\r\n"
    mbox = tmp_path / "crlf.mbox"
    mbox.write_bytes(b"From a Thu Nov 19\r\n" + one + b"\r\nFrom b Thu Nov 19\r\n" + two + b"\r\n")
    assert [i.raw for i in iter_mbox(mbox, "local") if isinstance(i, RawMessage)] == [one, two]
