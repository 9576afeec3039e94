"""Export helpers that need no database: spreadsheet-safe cells."""

from __future__ import annotations

from abusebox.desk.export import safe_cell


def test_safe_cell() -> None:
    for bad in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "  =1+1", "＝1+1", "＠SUM(A1)"):
        assert safe_cell(bad) == "'" + bad.replace("\r", "")  # a lone CR is dropped (defect 5)
    assert safe_cell("a\x1b]52;c;eA==\x07\u202e") == "a\ufffd]52;c;eA==\ufffd\ufffd"
    assert safe_cell("192.0.2.1") == "192.0.2.1" and safe_cell(None) == ""
