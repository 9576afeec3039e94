"""Read zip and gzip attachments in memory, within hard bounds.

Reports arrive as ``report.csv.zip`` or ``feed.csv.gz``. We never write to disk and
never use a member name as a path: names are only labels. Sizes declared in an archive
can lie (a zip bomb claims a small size), so every read counts the bytes it actually
produced and stops at the cap. An archive over a bound is skipped with a reason; the
other files of the message are still read.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from abusebox.core.config import LimitSettings
from abusebox.core.reasons import Reason

_CHUNK = 64 * 1024
# Below this output size the ratio is not checked: a tiny file of repeated bytes
# compresses far beyond any sane ratio and is harmless.
_RATIO_FLOOR = 1024 * 1024
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


class ArchiveRejected(Exception):
    """One archive or member crossed a bound or is unreadable; the message says why."""


@dataclass(frozen=True)
class ArchiveFile:
    """A file found in an attachment: ``name`` is a display label, never a path."""

    name: str
    data: bytes
    container: str | None = None  # label of the archive it came out of


@dataclass
class DecodeBudget:
    """Bytes decompressed so far for one message, against max_total_decoded_bytes."""

    limits: LimitSettings
    used: int = 0
    reasons: list[Reason] = field(default_factory=list)

    def skip(self, text: str) -> None:
        """Record that something was skipped, and why."""
        self.reasons.append(Reason("parse", "archive", None, text))

    def cap(self) -> int:
        left = self.limits.max_total_decoded_bytes - self.used
        return max(0, min(self.limits.max_attachment_bytes, left))


def safe_label(name: str | None) -> str:
    """The last path component of an attacker-supplied name, without control characters."""
    if not name:
        return "unnamed"
    base = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("", base).strip()
    if base in ("", ".", ".."):
        return "unnamed"
    return base[:200]


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def is_gzip(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"


def expand(name: str | None, data: bytes, budget: DecodeBudget) -> list[ArchiveFile]:
    """The files inside ``data`` (itself if it is not an archive), archives opened recursively.

    Whatever is skipped is recorded in ``budget.reasons``.
    """
    out: list[ArchiveFile] = []
    _expand(safe_label(name), data, budget, 0, None, out)
    return out


def _expand(
    label: str, data: bytes, budget: DecodeBudget, depth: int, container: str | None, out: list[ArchiveFile]
) -> None:
    if not (is_zip(data) or is_gzip(data)):
        out.append(ArchiveFile(label, data, container))
        return
    if depth >= budget.limits.max_archive_depth:
        budget.skip(
            f"archive {label}: nested deeper than {budget.limits.max_archive_depth} archives, skipped"
        )
        return
    try:
        members = list(
            _zip_members(label, data, budget) if is_zip(data) else _gzip_member(label, data, budget)
        )
    except ArchiveRejected as exc:
        budget.skip(str(exc))
        return
    for member_label, member_data in members:
        _expand(member_label, member_data, budget, depth + 1, label, out)


def _zip_members(label: str, data: bytes, budget: DecodeBudget) -> Iterator[tuple[str, bytes]]:
    limits = budget.limits
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveRejected(f"archive {label}: not a readable zip ({exc}), skipped") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > limits.max_archive_entries:
            raise ArchiveRejected(
                f"archive {label}: {len(infos)} entries exceed {limits.max_archive_entries}, skipped"
            )
        infos = _distinct_members(label, infos, budget)
        declared = sum(i.file_size for i in infos)
        left = max(0, limits.max_total_decoded_bytes - budget.used)
        if declared > left:
            # Declared sizes can lie low (that is counted while reading), never usefully high.
            raise ArchiveRejected(
                f"archive {label}: declares {declared} bytes, more than the {left} left "
                "for this message (max_total_decoded_bytes), skipped"
            )
        members: list[tuple[str, bytes]] = []
        for info in infos:
            member = f"{label}/{safe_label(info.filename)}"
            if info.flag_bits & 0x1:
                budget.skip(f"archive member {member}: encrypted, skipped")
                continue
            try:
                with archive.open(info) as stream:
                    payload = _bounded_read(member, stream.read, info.compress_size, budget)
            except ArchiveRejected as exc:
                budget.skip(str(exc))
                continue
            except (
                zipfile.BadZipFile,
                NotImplementedError,
                RuntimeError,
                zlib.error,
                EOFError,
                OSError,
            ) as exc:
                budget.skip(f"archive member {member}: unreadable ({exc}), skipped")
                continue
            members.append((member, payload))
        yield from members


def _distinct_members(
    label: str, infos: list[zipfile.ZipInfo], budget: DecodeBudget
) -> list[zipfile.ZipInfo]:
    """The entries that hold data of their own, each read once.

    A zip's central directory may list many names for one stored member (or members
    whose data overlap, each starting inside the one before): a bomb that expands the
    same bytes once per name. Entries sharing a member are read once (the others skipped,
    with a reason); overlapping data rejects the archive.
    """
    by_offset: dict[int, zipfile.ZipInfo] = {}
    for info in infos:
        first = by_offset.setdefault(info.header_offset, info)
        if first is not info:
            budget.skip(
                f"archive member {label}/{safe_label(info.filename)}: the same data as "
                f"{safe_label(first.filename)}, skipped"
            )
    distinct = sorted(by_offset.values(), key=lambda i: i.header_offset)
    for before, after in itertools.pairwise(distinct):
        if after.header_offset < before.header_offset + before.compress_size:
            raise ArchiveRejected(f"archive {label}: members overlap (a zip bomb), skipped")
    return [i for i in infos if by_offset[i.header_offset] is i]


def _gzip_member(label: str, data: bytes, budget: DecodeBudget) -> Iterator[tuple[str, bytes]]:
    inner = label[:-3] if label.lower().endswith(".gz") else label + ".out"
    if label.lower().endswith(".tgz"):
        inner = label[:-4] + ".tar"
    pending = data
    chunks: list[bytes] = []
    produced = 0
    # A gzip file may hold several members back to back; each gets a fresh decompressor.
    while pending:
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        view = pending
        while True:
            try:
                chunk = decomp.decompress(view, _CHUNK)
            except zlib.error as exc:
                raise ArchiveRejected(f"archive {label}: corrupt gzip ({exc}), skipped") from None
            produced += len(chunk)
            _check(label, produced, len(data), budget)
            chunks.append(chunk)
            view = decomp.unconsumed_tail
            if decomp.eof or (not view and not chunk):
                break
        if not decomp.eof:
            raise ArchiveRejected(f"archive {label}: truncated gzip, skipped")
        pending = decomp.unused_data if is_gzip(decomp.unused_data) else b""
    budget.used += produced
    yield inner, b"".join(chunks)


def _bounded_read(member: str, read, compressed: int, budget: DecodeBudget) -> bytes:
    chunks: list[bytes] = []
    produced = 0
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            break
        produced += len(chunk)
        _check(member, produced, compressed, budget)
        chunks.append(chunk)
    budget.used += produced
    return b"".join(chunks)


def _check(label: str, produced: int, compressed: int, budget: DecodeBudget) -> None:
    """Raise when the bytes actually produced cross a bound (declared sizes are not trusted)."""
    limits = budget.limits
    if produced > budget.cap():
        raise ArchiveRejected(
            f"archive {label}: more than {budget.cap()} bytes decompressed "
            "(max_attachment_bytes / max_total_decoded_bytes), skipped"
        )
    if produced > _RATIO_FLOOR and produced > limits.max_compression_ratio * max(compressed, 1):
        raise ArchiveRejected(
            f"archive {label}: compression ratio over {limits.max_compression_ratio} (zip bomb?), skipped"
        )
