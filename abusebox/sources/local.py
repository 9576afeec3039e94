"""Local sources: .eml files, mbox files and Maildir folders, streamed one message at a time.

Each item is a RawMessage with a stable source id (file path, mbox path + byte offset,
Maildir unique name), or a SourceError naming the item that could not be read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from abusebox.core.config import LimitSettings
from abusebox.core.errors import SourceError
from abusebox.core.models import RawMessage

MAIL_SUFFIXES = (".eml", ".msg", ".mail")
_LINE_PIECE = 64 * 1024  # longest piece of a line held at once while splitting an mbox
DEFAULT_MAX_READ_BYTES: int | None = LimitSettings().max_read_bytes
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


def read_eml(
    path: Path, source: str, max_bytes: int | None = DEFAULT_MAX_READ_BYTES
) -> RawMessage | SourceError:
    if path.exists() and not path.is_file():
        return SourceError(str(path), "not a regular file")  # reading a FIFO would block forever
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            return SourceError(str(path), _too_large(size, max_bytes))
        raw = path.read_bytes()
    except OSError as exc:
        return SourceError(str(path), f"cannot read: {exc.strerror}")
    if not raw.strip():
        return SourceError(str(path), "empty file")
    if not looks_like_mail(raw[:4096]):
        return SourceError(str(path), "not a mail message (no header block)")
    return RawMessage(raw, source, str(path))


def iter_mbox(
    path: Path, source: str, max_bytes: int | None = DEFAULT_MAX_READ_BYTES
) -> Iterator[RawMessage | SourceError]:
    """Stream an mbox: split on `From ` lines that follow a blank line.

    Memory stays bounded whatever the file holds: lines are read in pieces of at most
    _LINE_PIECE bytes (a file of NULs has no newline at all), and a message beyond
    ``max_bytes`` stops being buffered; it is reported as unreadable instead.
    """
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield SourceError(str(path), f"cannot read: {exc.strerror}")
        return
    with fh:
        message = _MboxMessage(0, max_bytes)
        offset = 0
        previous_blank = True
        at_line_start = True
        found = False
        for piece in iter(lambda: fh.readline(_LINE_PIECE), b""):
            if at_line_start and previous_blank and piece.startswith(b"From "):
                if not message.empty:
                    found = True
                    yield message.finish(source, path)
                message = _MboxMessage(offset, max_bytes)
            else:
                message.add(piece, at_line_start)
            # A line read in several pieces is never blank; only a whole line can be.
            previous_blank = at_line_start and piece in (b"\n", b"\r\n")
            at_line_start = piece.endswith(b"\n")
            offset += len(piece)
        if not message.empty:
            yield message.finish(source, path)
        elif not found:
            # Only separator lines (a truncated download): say so rather than read nothing silently.
            yield SourceError(str(path), "no message in mbox (empty or truncated)")


class _MboxMessage:
    """The lines of one mbox message, or only its size once it is over the cap."""

    def __init__(self, offset: int, max_bytes: int | None) -> None:
        self.offset = offset
        self.max_bytes = max_bytes
        self.lines: list[bytes] = []
        self.size = 0
        self.empty = True

    def add(self, piece: bytes, at_line_start: bool) -> None:
        self.empty = False
        if at_line_start and piece.startswith(b">From "):
            piece = piece[1:]  # undo mboxrd quoting of body lines that began with "From "
        self.size += len(piece)
        if self.max_bytes is not None and self.size > self.max_bytes:
            self.lines = []  # over the cap: keep counting, stop holding
        else:
            self.lines.append(piece)

    def finish(self, source: str, path: Path) -> RawMessage | SourceError:
        label = f"{path}@{self.offset}"
        if self.max_bytes is not None and self.size > self.max_bytes:
            return SourceError(label, _too_large(self.size, self.max_bytes))
        raw = b"".join(self.lines)
        # The separator blank line belongs to the mbox, not the message (LF or CRLF mbox).
        if raw.endswith(b"\r\n\r\n"):
            raw = raw[:-2]
        elif raw.endswith(b"\n\n"):
            raw = raw[:-1]
        if not looks_like_mail(raw[:4096]):
            return SourceError(label, "not a mail message in mbox")
        return RawMessage(raw, source, label)


def _too_large(size: int, max_bytes: int) -> str:
    return f"message of {size} bytes is over limits.max_read_bytes ({max_bytes}): not read"


def maildir_key(path: Path) -> str:
    """The unique name of a Maildir file, without the `:2,FLAGS` info that changes."""
    return path.name.split(":", 1)[0]


def iter_maildir(
    path: Path,
    source: str,
    skip: set[str] | None = None,
    max_bytes: int | None = DEFAULT_MAX_READ_BYTES,
) -> Iterator[RawMessage | SourceError]:
    for sub in ("new", "cur"):
        folder = path / sub
        if not folder.is_dir():
            continue
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            yield SourceError(str(folder), f"cannot read: {exc.strerror}")
            continue
        for name in names:
            if name.startswith("."):
                continue
            file = folder / name
            key = f"{path.name}/{maildir_key(file)}"
            if skip is not None and key in skip:
                continue
            item = read_eml(file, source, max_bytes)
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


def iter_path(
    path: Path, source: str = "local", max_bytes: int | None = DEFAULT_MAX_READ_BYTES
) -> Iterator[RawMessage | SourceError]:
    """Auto-detect: Maildir folder, folder of files (recursively), mbox file or one .eml."""
    yield from _walk(path, source, max_bytes, set())


def _walk(
    path: Path, source: str, max_bytes: int | None, visited: set[tuple[int, int]]
) -> Iterator[RawMessage | SourceError]:
    if path.is_dir():
        # A symlink back up the tree (`ln -s .. loop`) must not walk it again and again.
        try:
            st = path.stat()
        except OSError as exc:
            yield SourceError(str(path), f"cannot read: {exc.strerror}")
            return
        if (st.st_dev, st.st_ino) in visited:
            return
        visited.add((st.st_dev, st.st_ino))
    if is_maildir(path):
        yield from iter_maildir(path, source, max_bytes=max_bytes)
    elif path.is_dir():
        try:
            children = sorted(path.iterdir())
        except OSError as exc:  # e.g. a folder we may not list
            yield SourceError(str(path), f"cannot read: {exc.strerror}")
            return
        for child in children:
            if child.name.startswith("."):
                continue
            if child.is_dir():
                yield from _walk(child, source, max_bytes, visited)
            elif not child.is_file():
                yield SourceError(str(child), "not a regular file")  # a FIFO or device: never opened
            elif _is_mbox(child):
                yield from iter_mbox(child, source, max_bytes)
            elif child.suffix.lower() in MAIL_SUFFIXES or (not child.suffix and _is_mail_file(child)):
                # In a folder walk only mail-named files count; other data files are not mail.
                yield read_eml(child, source, max_bytes)
    elif path.is_file():
        if _is_mbox(path):
            yield from iter_mbox(path, source, max_bytes)
        else:
            yield read_eml(path, source, max_bytes)
    elif path.exists():
        yield SourceError(str(path), "not a regular file or folder")  # a FIFO, a device ...
    else:
        yield SourceError(str(path), "no such file or directory")


def iter_paths(
    paths: list[Path], source: str = "local", max_bytes: int | None = DEFAULT_MAX_READ_BYTES
) -> Iterator[RawMessage | SourceError]:
    for path in paths:
        yield from iter_path(path, source, max_bytes)
