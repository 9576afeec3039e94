"""Zip bombs made of the directory: many names for one member, members that overlap.

A zip's central directory is only a list of (name, offset) pairs: an attacker can list
one stored member under hundreds of names, and a reader that expands each entry expands
the same bytes hundreds of times. Each member's bytes are counted once.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from dataclasses import replace

from abusebox.core.config import LimitSettings
from abusebox.parsing.archives import DecodeBudget, expand

_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"


def csv_member(size: int) -> bytes:
    """Feed-like text that compresses about 4:1, under any sane ratio limit."""
    rng = random.Random(5)
    rows = ["timestamp,ip,port"]
    total = len(rows[0]) + 1
    while total < size:
        rows.append(
            f"2026-11-19 03:{rng.randrange(60):02d}:00,198.51.{rng.randrange(256)}.{rng.randrange(256)},22"
        )
        total += len(rows[-1]) + 1
    return ("\n".join(rows) + "\n").encode()


def one_member_many_names(member: bytes, names: int) -> bytes:
    """A valid zip with one member whose central directory entry is repeated ``names`` times."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("feed.csv", member)
    data = buf.getvalue()
    start = data.index(_CENTRAL)
    end = data.index(_END)
    entry = data[start:end]
    name_len = struct.unpack("<H", entry[28:30])[0]
    # The local header holds the member's name, and readers check that the directory
    # agrees: so the copies share the name too (listing it 200 times is what matters).
    assert name_len
    entries = [entry] * names
    central = b"".join(entries)
    eocd = bytearray(data[end:])
    struct.pack_into("<HHII", eocd, 8, names, names, len(central), start)
    return data[:start] + central + bytes(eocd)


def test_one_member_listed_under_many_names_is_expanded_once() -> None:
    member = csv_member(400_000)
    bomb = one_member_many_names(member, 200)
    assert len(zipfile.ZipFile(io.BytesIO(bomb)).infolist()) == 200  # a zip any reader opens
    budget = DecodeBudget(LimitSettings())
    files = expand("feed.zip", bomb, budget)
    assert [f.data for f in files] == [member]
    assert budget.used == len(member)
    skipped = [r.text for r in budget.reasons if "the same data as feed.csv" in r.text]
    assert len(skipped) == 199


def overlapping_members(member: bytes) -> bytes:
    """Two entries whose data overlap: the second starts inside the first's compressed bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.csv", member)
        archive.writestr("b.csv", b"x")
    data = bytearray(buf.getvalue())
    start = data.index(_CENTRAL)
    second = data.index(_CENTRAL, start + 4)
    # Point b.csv's central entry into the middle of a.csv's data.
    struct.pack_into("<I", data, second + 42, len(member) // 2)
    return bytes(data)


def test_members_whose_data_overlap_reject_the_archive() -> None:
    budget = DecodeBudget(LimitSettings())
    files = expand("feed.zip", overlapping_members(csv_member(50_000)), budget)
    assert files == []
    assert any("members overlap" in r.text for r in budget.reasons)


def test_declared_sizes_over_the_budget_are_refused_before_decompressing() -> None:
    member = csv_member(300_000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(4):
            archive.writestr(f"part{n}.csv", member)
    limits = replace(LimitSettings(), max_total_decoded_bytes=1_000_000, max_attachment_bytes=500_000)
    budget = DecodeBudget(limits)
    assert expand("feed.zip", buf.getvalue(), budget) == []
    assert budget.used == 0  # nothing was decompressed
    assert any(r.text.startswith("archive feed.zip: declares 1") for r in budget.reasons)
