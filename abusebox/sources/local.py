"""Local sources: .eml files, mbox files and Maildir folders, streamed one message at a time.

Each item is a RawMessage with a stable source id (file path, mbox path + byte offset,
Maildir unique name), or a SourceError naming the item that could not be read.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from abusebox.core.config import LimitSettings
from abusebox.core.errors import SourceError
from abusebox.core.models import RawMessage

_LINE_PIECE = 64 * 1024  # longest piece of a line held at once while splitting an mbox
DEFAULT_MAX_READ_BYTES: int | None = LimitSettings().max_read_bytes
_HEADER_LINE = b":"
_FIELD_NAME = re.compile(rb"[A-Za-z0-9][A-Za-z0-9-]{0,78}")


# Kernel views that pose as regular files (a size of 0, contents made on read: the
# process environment, where secrets live): never evidence.
_VIRTUAL_ROOTS = ("/proc", "/sys", "/dev")
_VIRTUAL = "a kernel or device file, not mail: not read"


def is_maildir(path: Path) -> bool:
    # Lenient: a copied or checked-out Maildir often lacks its empty tmp/ (or new/).
    # An unlistable folder is not a Maildir (the walk then reports it as unreadable).
    try:
        return path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir())
    except OSError:
        return False


def _virtual(path: Path) -> bool:
    resolved = str(path.resolve())
    return any(resolved == root or resolved.startswith(root + "/") for root in _VIRTUAL_ROOTS)


def _inside(path: Path, root: Path) -> bool:
    """Does ``path`` (a symlink found in the walk) point inside ``root``?"""
    try:
        path.resolve(strict=True).relative_to(root)
    except (OSError, ValueError, RuntimeError):  # dangling, outside, or a loop
        return False
    return True


def looks_like_mail(head: bytes) -> bool:
    """A cheap check that bytes start with an RFC 5322 header block."""
    if not head.strip():
        return False
    first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    if first.startswith(b"From "):
        return True
    name, sep, _rest = first.partition(_HEADER_LINE)
    # Real header names are letters, digits and hyphens (`{"handle"` is JSON, not a header).
    return bool(sep) and _FIELD_NAME.fullmatch(name) is not None


def read_eml(
    path: Path, source: str, max_bytes: int | None = DEFAULT_MAX_READ_BYTES
) -> RawMessage | SourceError:
    if _virtual(path):
        return SourceError(str(path), _VIRTUAL)
    return _read_file(path, source, max_bytes)


def _read_file(
    path: Path, source: str, max_bytes: int | None, *, follow: bool = True
) -> RawMessage | SourceError:
    """Read a file known not to be a kernel view; ``follow=False``: a symlink is refused
    (the caller found a plain file there, and a symlink put in its place is not followed)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        # Opened without blocking (a FIFO would wait forever) and checked on the descriptor.
        fd = os.open(path, flags)
    except OSError as exc:
        return SourceError(str(path), f"cannot read: {exc.strerror}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return SourceError(str(path), "not a regular file")
        if max_bytes is not None and info.st_size > max_bytes:
            return SourceError(str(path), _too_large(info.st_size, max_bytes))
        with os.fdopen(os.dup(fd), "rb") as fh:
            # Ask for the size fstat gave (and a byte more): asking for the whole limit
            # would make the reader allocate that much for every mail. A file that grew
            # since is read on, up to the limit, as before.
            raw = fh.read(info.st_size + 1)
            if len(raw) > info.st_size:
                more = fh.read() if max_bytes is None else fh.read(max(0, max_bytes + 1 - len(raw)))
                raw += more
    except OSError as exc:
        return SourceError(str(path), f"cannot read: {exc.strerror}")
    finally:
        os.close(fd)
    if max_bytes is not None and len(raw) > max_bytes:
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
    root = path.resolve()
    for sub in ("new", "cur"):
        folder = path / sub
        try:
            if not folder.is_dir():
                continue
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
            # Resolved once: a plain file in it is a kernel view only if the folder is one.
            virtual = _virtual(folder)
        except OSError as exc:
            yield SourceError(str(folder), f"cannot read: {exc.strerror}")
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            file = folder / entry.name
            key = f"{path.name}/{maildir_key(file)}"
            if skip is not None and key in skip:
                continue
            item: RawMessage | SourceError
            if _is_symlink(entry):
                if not _inside(file, root):
                    yield SourceError(str(file), "a symlink out of the Maildir: not followed")
                    continue
                item = read_eml(file, source, max_bytes)
            elif virtual:
                item = SourceError(str(file), _VIRTUAL)
            else:
                item = _read_file(file, source, max_bytes, follow=False)
            if isinstance(item, RawMessage):
                item = RawMessage(item.raw, source, key)
            yield item


def _is_symlink(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False  # cannot tell: read without following (a symlink is then refused)


def _is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def iter_path(
    path: Path, source: str = "local", max_bytes: int | None = DEFAULT_MAX_READ_BYTES
) -> Iterator[RawMessage | SourceError]:
    """Auto-detect: Maildir folder, folder of files (recursively), mbox file or one .eml.

    The path given may itself be a symlink; inside it, a symlink is followed only when it
    points inside the same tree (anything else, `/etc/shadow` say, is reported, not read).
    Every file found is either read or reported.
    """
    try:
        root = path.resolve()
    except (OSError, RuntimeError):
        root = path
    yield from _walk(path, source, max_bytes, set(), root)


def _walk(
    path: Path, source: str, max_bytes: int | None, visited: set[tuple[int, int]], root: Path
) -> Iterator[RawMessage | SourceError]:
    try:
        is_dir, is_file, exists = path.is_dir(), path.is_file(), path.exists()
        st = path.stat() if is_dir else None
    except OSError as exc:  # e.g. inside a folder we may not enter
        yield SourceError(str(path), f"cannot read: {exc.strerror}")
        return
    if st is not None:
        # A symlink back up the tree (`ln -s .. loop`) must not walk it again and again.
        if (st.st_dev, st.st_ino) in visited:
            return
        visited.add((st.st_dev, st.st_ino))
    if is_maildir(path):
        yield from iter_maildir(path, source, max_bytes=max_bytes)
    elif is_dir:
        try:
            children = sorted(path.iterdir())
        except OSError as exc:  # e.g. a folder we may not list
            yield SourceError(str(path), f"cannot read: {exc.strerror}")
            return
        for child in children:
            if child.name.startswith("."):
                continue
            try:
                if child.is_symlink() and not _inside(child, root):
                    yield SourceError(str(child), "a symlink out of the folder: not followed")
                    continue
                is_dir, is_file = child.is_dir(), child.is_file()
            except OSError as exc:
                yield SourceError(str(child), f"cannot read: {exc.strerror}")
                continue
            if is_dir:
                yield from _walk(child, source, max_bytes, visited, root)
            elif not is_file:
                yield SourceError(str(child), "not a regular file")  # a FIFO or device: never opened
            elif _is_mbox(child):
                yield from iter_mbox(child, source, max_bytes)
            else:
                # Whatever its name (`report.txt`, a Maildir-style `1234.M1P2.host`): read
                # it, or say why not ("not a mail message"); never skipped in silence.
                yield read_eml(child, source, max_bytes)
    elif is_file:
        if _is_mbox(path):
            yield from iter_mbox(path, source, max_bytes)
        else:
            yield read_eml(path, source, max_bytes)
    elif exists:
        yield SourceError(str(path), "not a regular file or folder")  # a FIFO, a device ...
    else:
        yield SourceError(str(path), "no such file or directory")


def iter_paths(
    paths: list[Path], source: str = "local", max_bytes: int | None = DEFAULT_MAX_READ_BYTES
) -> Iterator[RawMessage | SourceError]:
    for path in paths:
        yield from iter_path(path, source, max_bytes)
