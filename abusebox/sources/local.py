"""Local sources: .eml files, mbox files and Maildir folders, streamed one message at a time.

Each item is a RawMessage with a stable source id (file path, mbox path + byte offset,
Maildir unique name), or a SourceError naming the item that could not be read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from abusebox.errors import SourceError
from abusebox.models import RawMessage

MAIL_SUFFIXES = (".eml", ".msg", ".mail")
_MBOX_READ = 1024 * 1024
_HEADER_LINE = b":"


def is_maildir(path: Path) -> bool:
    # Lenient: a copied or checked-out Maildir often lacks its empty tmp/ (or new/).
    return path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir())


def looks_like_mail(head: bytes) -> bool:
    """A cheap check that bytes start with an RFC 5322 header block."""
    if not head.strip():
        return False
    first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    if first.startswith(b"From "):
        return True
    name, sep, _rest = first.partition(_HEADER_LINE)
    return bool(sep) and bool(name) and b" " not in name.strip() and len(name) < 80


def read_eml(path: Path, source: str) -> RawMessage | SourceError:
    if path.exists() and not path.is_file():
        return SourceError(str(path), "not a regular file")  # reading a FIFO would block forever
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return SourceError(str(path), f"cannot read: {exc.strerror}")
    if not raw.strip():
        return SourceError(str(path), "empty file")
    if not looks_like_mail(raw[:4096]):
        return SourceError(str(path), "not a mail message (no header block)")
    return RawMessage(raw, source, str(path))


def iter_mbox(path: Path, source: str) -> Iterator[RawMessage | SourceError]:
    """Stream an mbox: split on `From ` lines that follow a blank line; constant memory."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield SourceError(str(path), f"cannot read: {exc.strerror}")
        return
    with fh:
        current: list[bytes] = []
        offset = 0
        start = 0
        previous_blank = True
        found = False
        for line in fh:
            if line.startswith(b"From ") and previous_blank:
                if current:
                    found = True
                    yield _mbox_message(current, source, path, start)
                current = []
                start = offset
            else:
                current.append(line)
            previous_blank = line in (b"\n", b"\r\n")
            offset += len(line)
        if current:
            yield _mbox_message(current, source, path, start)
        elif not found:
            # Only separator lines (a truncated download): say so rather than read nothing silently.
            yield SourceError(str(path), "no message in mbox (empty or truncated)")


def _mbox_message(lines: list[bytes], source: str, path: Path, offset: int) -> RawMessage | SourceError:
    # Undo mboxrd quoting of body lines that began with "From ".
    raw = b"".join(line[1:] if line.startswith(b">From ") else line for line in lines)
    if raw.endswith(b"\n\n"):
        raw = raw[:-1]  # the separator blank line belongs to the mbox, not the message
    label = f"{path}@{offset}"
    if not looks_like_mail(raw[:4096]):
        return SourceError(label, "not a mail message in mbox")
    return RawMessage(raw, source, label)


def maildir_key(path: Path) -> str:
    """The unique name of a Maildir file, without the `:2,FLAGS` info that changes."""
    return path.name.split(":", 1)[0]


def iter_maildir(path: Path, source: str, skip: set[str] | None = None) -> Iterator[RawMessage | SourceError]:
    for sub in ("new", "cur"):
        folder = path / sub
        if not folder.is_dir():
            continue
        for name in sorted(os.listdir(folder)):
            if name.startswith("."):
                continue
            file = folder / name
            key = f"{path.name}/{maildir_key(file)}"
            if skip is not None and key in skip:
                continue
            item = read_eml(file, source)
            if isinstance(item, RawMessage):
                item = RawMessage(item.raw, source, key)
            yield item


def _is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def _is_mail_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return looks_like_mail(fh.read(4096))
    except OSError:
        return False


def iter_path(path: Path, source: str = "local") -> Iterator[RawMessage | SourceError]:
    """Auto-detect: Maildir folder, folder of files (recursively), mbox file or one .eml."""
    if is_maildir(path):
        yield from iter_maildir(path, source)
    elif path.is_dir():
        for child in sorted(path.iterdir()):
            if child.name.startswith("."):
                continue
            if is_maildir(child) or child.is_dir():
                yield from iter_path(child, source)
            elif not child.is_file():
                yield SourceError(str(child), "not a regular file")  # a FIFO or device: never opened
            elif _is_mbox(child):
                yield from iter_mbox(child, source)
            elif child.suffix.lower() in MAIL_SUFFIXES or (not child.suffix and _is_mail_file(child)):
                # In a folder walk only mail-named files count; other data files are not mail.
                yield read_eml(child, source)
    elif path.is_file():
        if _is_mbox(path):
            yield from iter_mbox(path, source)
        else:
            yield read_eml(path, source)
    elif path.exists():
        yield SourceError(str(path), "not a regular file or folder")  # a FIFO, a device ...
    else:
        yield SourceError(str(path), "no such file or directory")


def iter_paths(paths: list[Path], source: str = "local") -> Iterator[RawMessage | SourceError]:
    for path in paths:
        yield from iter_path(path, source)
