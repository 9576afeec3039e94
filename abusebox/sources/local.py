"""Local sources: .eml files, mbox files and Maildir folders, streamed one message at a time.

Each item is a RawMessage with a stable source id (file path, mbox path + byte offset,
Maildir unique name), or a SourceError naming the item that could not be read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from abusebox.core.config import LimitSettings
from abusebox.core.errors import SourceError
from abusebox.core.models import RawMessage

MAIL_SUFFIXES = (".eml", ".msg", ".mail")
_LINE_PIECE = 64 * 1024  # longest piece of a line held at once while splitting an mbox
DEFAULT_MAX_READ_BYTES: int | None = LimitSettings().max_read_bytes
_HEADER_LINE = b":"


_SPECIAL_TREES = ("/proc", "/sys", "/dev")  # kernel files: never evidence, never read


def is_maildir(path: Path) -> bool:
    # Lenient: a copied or checked-out Maildir often lacks its empty tmp/ (or new/).
    try:
        return path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir())
    except OSError:  # an unreadable folder: the walk reports it when it tries to list it
        return False


def _special_tree(path: Path) -> bool:
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        return True
    return any(real == top or real.startswith(top + "/") for top in _SPECIAL_TREES)


def _read_regular(path: Path, max_bytes: int | None, *, follow: bool) -> bytes | str:
    """The bytes of a regular file, or why it was not read.

    Opened without blocking (a FIFO planted after a check cannot stall the walk) and, unless
    ``follow``, without following a symlink; the open file itself must be a regular file.
    """
    if _special_tree(path):
        return "special file (under /proc, /sys or /dev): not read"
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
    if not follow:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if not follow and os.path.islink(path):
            return "symlink: not followed"
        return f"cannot read: {exc.strerror}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file"
        if max_bytes is not None and st.st_size > max_bytes:
            return _too_large(st.st_size, max_bytes)
        limit = st.st_size if max_bytes is None else min(st.st_size, max_bytes)
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            return fh.read(limit + 1) if limit else b""
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    finally:
        if fd >= 0:
            os.close(fd)


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
    path: Path, source: str, max_bytes: int | None = DEFAULT_MAX_READ_BYTES, *, follow: bool = True
) -> RawMessage | SourceError:
    raw = _read_regular(path, max_bytes, follow=follow)
    if isinstance(raw, str):
        return SourceError(str(path), raw)
    if max_bytes is not None and len(raw) > max_bytes:  # grew since fstat
        return SourceError(str(path), _too_large(len(raw), max_bytes))
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
    if _special_tree(path):
        yield SourceError(str(path), "special file (under /proc, /sys or /dev): not read")
        return
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            yield SourceError(str(path), "not a regular file")
            return
        fh = os.fdopen(fd, "rb")
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
    """The messages of a Maildir; a symlink or special file inside it is reported, not read."""
    for sub in ("new", "cur"):
        folder = path / sub
        try:
            if folder.is_symlink():
                yield SourceError(str(folder), "symlink: not followed")
                continue
            if not folder.is_dir():
                continue
        except OSError as exc:
            yield SourceError(str(folder), f"cannot read: {exc.strerror}")
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
            item = read_eml(file, source, max_bytes, follow=False)
            if isinstance(item, RawMessage):
                item = RawMessage(item.raw, source, key)
            yield item


def _head(path: Path) -> bytes | None:
    """The first bytes of a regular file, opened without following a symlink or blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None
        return fh.read(4096)


def iter_path(
    path: Path, source: str = "local", max_bytes: int | None = DEFAULT_MAX_READ_BYTES
) -> Iterator[RawMessage | SourceError]:
    """Auto-detect: Maildir folder, folder of files (recursively), mbox file or one .eml.

    The path itself may be a symlink (it was named on purpose); inside a folder no symlink
    is followed and no special file (FIFO, device, /proc) is opened. Every file met is
    either read or reported.
    """
    yield from _walk(path, source, max_bytes, set(), top=True)


def _walk(
    path: Path, source: str, max_bytes: int | None, visited: set[tuple[int, int]], *, top: bool = False
) -> Iterator[RawMessage | SourceError]:
    try:
        st = path.stat() if top else path.lstat()
    except FileNotFoundError:
        yield SourceError(str(path), "no such file or directory")
        return
    except OSError as exc:
        yield SourceError(str(path), f"cannot read: {exc.strerror}")
        return
    if stat.S_ISLNK(st.st_mode):
        yield SourceError(str(path), "symlink: not followed")
        return
    if stat.S_ISDIR(st.st_mode):
        if (st.st_dev, st.st_ino) in visited:
            return
        visited.add((st.st_dev, st.st_ino))
        if is_maildir(path):
            yield from iter_maildir(path, source, max_bytes=max_bytes)
            return
        try:
            children = sorted(path.iterdir())
        except OSError as exc:  # e.g. a folder we may not list
            yield SourceError(str(path), f"cannot read: {exc.strerror}")
            return
        for child in children:
            if child.name.startswith("."):
                continue
            yield from _walk(child, source, max_bytes, visited)
        return
    if _special_tree(path):
        yield SourceError(str(path), "special file (under /proc, /sys or /dev): not read")
        return
    if not stat.S_ISREG(st.st_mode):
        yield SourceError(str(path), "not a regular file")  # a FIFO or device: never opened
        return
    head = _head(path) if not top else _head(Path(os.path.realpath(path)))
    if head is not None and head.startswith(b"From "):
        yield from iter_mbox(path, source, max_bytes)
    else:
        # Read whatever the name: read_eml reports a file that is not mail.
        yield read_eml(path, source, max_bytes, follow=top)


def iter_paths(
    paths: list[Path], source: str = "local", max_bytes: int | None = DEFAULT_MAX_READ_BYTES
) -> Iterator[RawMessage | SourceError]:
    for path in paths:
        yield from iter_path(path, source, max_bytes)
