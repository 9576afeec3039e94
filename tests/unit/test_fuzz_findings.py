"""Inputs the fuzzer (`python -m fuzz`) found, kept as regression tests.

- date-overflow-*.eml: a Date year past what the C library takes raised OverflowError at
  parse; now the Date is recorded as unusable and the message is processed.
- A paragraph of thousands of lines made the free-text extractor scan the whole paragraph
  once per line of it (quadratic: 23 s for 555 KB); now once per paragraph.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import DATA

from abusebox.core.config import Settings
from abusebox.extract import freeform
from abusebox.pipeline.analyze import analyze

FOUND = sorted((DATA / "fuzz").glob("*.eml"))


@pytest.mark.parametrize("path", FOUND, ids=[p.name for p in FOUND])
def test_a_fuzzer_finding_is_analysed_without_raising(path: Path) -> None:
    analysis = analyze(path.read_bytes(), Settings())
    assert analysis.parsed.date is None
    assert any("unusable Date header" in r.text for r in analysis.parsed.skipped)


def test_a_long_paragraph_is_scanned_for_its_port_once_not_once_per_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Address lines and prose lines in one paragraph: the prose (kept up to 4,000
    # characters) is where a port may be named for the whole paragraph.
    lines = [
        f"203.0.113.{i % 250 + 1} was seen, sample {i}"
        if i % 2
        else f"the traffic looked odd to us, note {i}"
        for i in range(3000)
    ]
    raw = ("From: r@example.org\nSubject: odd traffic\n\n" + "\n".join(lines) + "\n").encode()
    scanned = 0
    real = freeform.service_port

    def counting(line: str, *args: object, **kwargs: object) -> int | None:
        nonlocal scanned
        scanned += len(line)
        return real(line, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(freeform, "service_port", counting)
    analyze(raw, Settings())
    assert scanned <= 3 * len(raw), scanned  # linear: each line, and the paragraph once


def test_a_long_header_of_unterminated_encoded_words_is_read_linearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The fuzzer's 225 KB Subject of "=?utf-8?b?44CQSubject: " repeated took 18 s in the
    # stdlib's encoded-word pattern (it backtracks); long values take a linear reading.
    from abusebox.parsing import headers

    longest = 0
    real = headers.decode_header

    def spy(value: object) -> object:
        nonlocal longest
        longest = max(longest, len(str(value)))
        return real(value)  # type: ignore[arg-type]

    monkeypatch.setattr(headers, "decode_header", spy)
    subject = "=?utf-8?b?44CQSubject: " * 5000 + "=?utf-8?b?44K544Kt44Oj44Oz?="
    raw = f"From: r@example.org\nSubject: {subject}\n\n203.0.113.9 scanned us\n".encode()
    analysis = analyze(raw, Settings())
    assert longest <= headers._LONG_HEADER
    assert analysis.parsed.subject.endswith("スキャン")  # the one complete word is still decoded
    # Short values keep the stdlib's exact reading.
    assert (
        headers.decode_header_value("=?iso-2022-jp?b?GyRCJTklLSVjJXMbKEI=?= 203.0.113.5")
        == "スキャン 203.0.113.5"
    )
