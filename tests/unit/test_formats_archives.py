"""Hostile archives: bombs, many entries, path names, nesting, truncation."""

from __future__ import annotations

import gzip
import io
import zipfile

from formats_mail import mail_with_attachment

from abusebox.core.config import LimitSettings, Settings
from abusebox.parsing.archives import DecodeBudget, expand, safe_label
from abusebox.pipeline.analyze import analyze

CSV = b'"timestamp","ip","port"\n"2026-11-19 01:20:30","192.0.2.10",22\n'


def zipped(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def budget(**limits: int) -> DecodeBudget:
    return DecodeBudget(LimitSettings(**limits))


def test_plain_zip_and_gzip_are_opened() -> None:
    b = budget()
    files = expand("r.csv.zip", zipped({"r.csv": CSV}), b)
    assert [(f.name, f.data) for f in files] == [("r.csv.zip/r.csv", CSV)]
    files = expand("r.csv.gz", gzip.compress(CSV), b)
    assert [(f.name, f.data) for f in files] == [("r.csv", CSV)]
    assert b.reasons == []


def test_multi_member_gzip_is_read_whole() -> None:
    files = expand("r.gz", gzip.compress(b"a\n") + gzip.compress(b"b\n"), budget())
    assert files[0].data == b"a\nb\n"


def test_zip_bomb_is_skipped_by_actual_ratio() -> None:
    bomb = zipped({"bomb.csv": b"0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    b = budget()
    assert expand("bomb.zip", bomb, b) == []
    assert any("compression ratio" in r.text for r in b.reasons)


def test_zip_member_over_size_cap_is_skipped_while_others_are_kept() -> None:
    data = zipped({"big.csv": bytes(range(256)) * 8000, "small.csv": CSV}, zipfile.ZIP_STORED)
    b = budget(max_attachment_bytes=1_000_000)
    files = expand("x.zip", data, b)
    assert [f.name for f in files] == ["x.zip/small.csv"]
    assert any("big.csv" in r.text and "bytes decompressed" in r.text for r in b.reasons)


def test_gzip_bomb_is_skipped() -> None:
    b = budget()
    assert expand("bomb.gz", gzip.compress(b"\0" * (30 * 1024 * 1024)), b) == []
    assert any("compression ratio" in r.text for r in b.reasons)


def test_zip_with_ten_thousand_entries_is_skipped() -> None:
    data = zipped({f"f{i}.csv": b"x" for i in range(10_000)}, zipfile.ZIP_STORED)
    b = budget()
    assert expand("many.zip", data, b) == []
    assert any("10000 entries exceed 1000" in r.text for r in b.reasons)


def test_traversal_names_are_only_labels() -> None:
    data = zipped({"../../etc/passwd": CSV, "C:\\Windows\\evil.csv": CSV, "/abs/\x1b[31mred.csv": CSV})
    files = expand("t.zip", data, budget())
    assert [f.name for f in files] == ["t.zip/passwd", "t.zip/evil.csv", "t.zip/[31mred.csv"]
    assert safe_label("../..") == "unnamed"
    assert safe_label(None) == "unnamed"


def test_nested_archives_until_the_depth_bound() -> None:
    inner = zipped({"r.csv": CSV})
    two = zipped({"inner.zip": inner})
    assert [f.name for f in expand("two.zip", two, budget())] == ["two.zip/inner.zip/r.csv"]
    deep = gzip.compress(zipped({"a.zip": zipped({"b.zip": inner})}))
    b = budget(max_archive_depth=3)
    assert expand("deep.zip.gz", deep, b) == []
    assert any("nested deeper than 3" in r.text for r in b.reasons)


def test_truncated_and_corrupt_archives_are_skipped_with_a_reason() -> None:
    whole = gzip.compress(CSV * 100)
    b = budget()
    assert expand("cut.gz", whole[: len(whole) // 2], b) == []
    assert any("truncated gzip" in r.text for r in b.reasons)
    assert expand("bad.zip", b"PK\x03\x04" + b"\0" * 50, b) == []
    assert any("not a readable zip" in r.text for r in b.reasons)
    assert expand("bad.gz", b"\x1f\x8b" + b"garbage" * 10, b) == []
    assert any("corrupt gzip" in r.text for r in b.reasons)


def test_total_decoded_budget_is_shared_between_archives() -> None:
    payload = bytes(range(256)) * 2000  # 512,000 bytes, incompressible enough
    b = budget(max_total_decoded_bytes=800_000)
    first = expand("a.gz", gzip.compress(payload), b)
    second = expand("b.gz", gzip.compress(payload), b)
    assert len(first) == 1 and second == []
    assert any("b.gz" in r.text for r in b.reasons)


def test_a_bomb_in_a_mail_is_reported_and_the_rest_still_extracted() -> None:
    bomb = zipped({"bomb.csv": b"0" * (20 * 1024 * 1024)})
    good = zipped({"2026-11-19-scan_ssh-jp.csv": CSV})
    raw = mail_with_attachment(
        good,
        "2026-11-19-scan_ssh-jp.csv.zip",
        sender="autoreports@shadowserver.org",
        extra=[(bomb, "bomb.zip")],
    )
    extraction = analyze(raw, Settings()).extraction
    assert extraction.format == "shadowserver"
    assert [o.ip for o in extraction.observations] == ["192.0.2.10"]
    assert any("bomb.zip" in r.text and "compression ratio" in r.text for r in extraction.reasons)


def test_a_lone_bomb_still_reports_why() -> None:
    bomb = zipped({"bomb.csv": b"0" * (20 * 1024 * 1024)})
    extraction = analyze(mail_with_attachment(bomb, "bomb.zip"), Settings()).extraction
    assert extraction.observations == []
    assert any("compression ratio" in r.text for r in extraction.reasons)
