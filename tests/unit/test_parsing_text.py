"""The one text view: HTML parts as text, quote headers in both languages, one normalisation."""

from __future__ import annotations

import sys
import time
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abusebox.core.config import Settings
from abusebox.core.models import TextPart
from abusebox.extract import extract
from abusebox.parsing.mime import parse_message
from abusebox.parsing.text import (
    FORMAT_RANGES,
    FORWARD_MARKER,
    drop_format_chars,
    fold_width,
    html_to_text,
    is_quote_header,
    normalise,
    own_words,
    readable_parts,
)
from abusebox.pipeline.analyze import analyze
from abusebox.triage.text import own_text


def test_links_are_written_only_when_asked() -> None:
    markup = '<p>Log in <a class=x href="http://203.0.113.77/a?b=1&amp;c=2">here</a> now</p>'
    assert html_to_text(markup) == "Log in here now"
    assert html_to_text(markup, links=True) == "Log in http://203.0.113.77/a?b=1&c=2 here now"


def test_an_html_body_is_read_unless_a_plain_alternative_says_something() -> None:
    html = TextPart("<p>seen 192.0.2.1</p>", "text/html", None, "body", "utf-8", depth=2)
    empty_plain = TextPart(" \n", "text/plain")
    plain = TextPart("plain 192.0.2.1", "text/plain")
    attached = TextPart("<b>attached</b>", "text/html", "a.html", "attachment")

    read = readable_parts([empty_plain, html, attached])
    assert [(p.text, p.content_type, p.depth) for p in read] == [
        (" \n", "text/plain", 0),
        ("seen 192.0.2.1", "text/plain", 2),
        ("attached", "text/plain", 0),
    ]
    assert [p.text for p in readable_parts([plain, html, attached])] == ["plain 192.0.2.1", "attached"]


@pytest.mark.parametrize(
    "line",
    [
        "On Mon, 2 Mar 2026 at 10:00, Bob <bob@example.org> wrote:",
        "> On Mon, 2 Mar 2026, Bob wrote:",
        "Bob Smith wrote:",
        "2026年3月2日(月) 14:00 山田太郎 <yamada@example.jp>:さんは書きました：",
        "山田さんは書きました",
        "-----Original Message-----",
        "---------- Forwarded message ---------",
        "----- 転送メッセージ -----",
        "-------- 元のメッセージ --------",
        "Begin forwarded message:",
        "[ Offending message ]",
        "--- 転送ここから ---",
    ],
)
def test_quote_headers_in_english_and_japanese(line: str) -> None:
    assert is_quote_header(line)


@pytest.mark.parametrize(
    "line",
    [
        "He wrote the report yesterday",
        "Nov 19 01:20:30 host sshd[1]: Failed password for root from 203.0.113.9 port 4242 ssh2",
        "-- ",
        "送信元IPアドレス: 203.0.113.9",
    ],
)
def test_other_lines_are_no_quote_header(line: str) -> None:
    assert not is_quote_header(line)


def test_own_words_stop_at_the_first_quote_header_and_drop_quoted_lines() -> None:
    text = "Please look at 192.0.2.1.\n> quoted 198.51.100.1\nThanks\n\nOn Mon, Bob wrote:\n> mine\nlater"
    assert own_words(text) == "Please look at 192.0.2.1.\nThanks"
    assert own_words("2026/03/02 山田さんは書きました：\n元の文") == ""


def test_the_forward_marker_is_a_whole_line() -> None:
    assert FORWARD_MARKER.search("intro\n> -----転送されたメッセージ-----\nFrom: a@b.example")
    assert not FORWARD_MARKER.search("see the -----Original Message----- below")


@pytest.mark.parametrize(
    "unit", ["\n", " \n", ">\n", "> " * 50_000 + "\n", "wrote" * 40_000, "-- \n", "-" * 1000 + "\n"]
)
def test_quote_detection_is_linear(unit: str) -> None:
    text = "x\n" + unit * (200_000 // len(unit))
    started = time.monotonic()
    own_words(text)
    assert time.monotonic() - started < 1.0


def test_triage_text_of_a_long_run_of_blank_lines_is_fast() -> None:
    raw = b"From: a@example.org\nSubject: x\n\nhello\n" + b"\n" * 100_000 + b"bye\n"
    started = time.monotonic()
    assert own_text(parse_message(raw)) == "x\nhello\n" + "\n" * 100_000 + "bye"
    assert time.monotonic() - started < 1.0


def test_html_reply_quotes_are_not_the_senders_words() -> None:
    raw = (
        b"From: a@example.org\nSubject: re: report\nMIME-Version: 1.0\n"
        b"Content-Type: text/html; charset=utf-8\n\n"
        b"<div>Thanks, we are looking into it.</div><div>On Mon, 2 Mar 2026, Bob wrote:</div>"
        b"<blockquote>free pills at http://pharma.example</blockquote>"
    )
    assert own_text(parse_message(raw)) == "re: report\nthanks, we are looking into it."


def test_extraction_and_triage_read_the_same_html() -> None:
    raw = (
        b"From: soc@example.org\nSubject: scan\nDate: Thu, 19 Nov 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/alternative; boundary=B\n\n--B\nContent-Type: text/plain\n\n\n"
        b"--B\nContent-Type: text/html; charset=utf-8\n\n"
        b"<style>p{}</style><p>Port scan from <b>192.0.2.</b><b>7</b> at 2026-11-19 01:02:03 UTC"
        b" &amp; <a href='http://198.51.100.9/x'>more</a></p>\n--B--\n"
    )
    parsed = parse_message(raw)
    extraction = extract(parsed)
    sources = [(o.ip, o.time) for o in extraction.observations if o.role == "source"]
    assert sources == [("192.0.2.7", datetime(2026, 11, 19, 1, 2, 3, tzinfo=UTC))]
    # The empty plain alternative is read as it is (nothing), the HTML beside it as text.
    assert (
        own_text(parsed)
        == "scan\n\nport scan from 192.0.2.7 at 2026-11-19 01:02:03 utc & http://198.51.100.9/x more"
    )
    assert analyze(raw, Settings()).extraction.format == "html"


def test_fold_width_keeps_positions() -> None:
    text = "送信元：１９２．０．２．１　ＴＣＰ／２２"
    folded = fold_width(text)
    assert folded == "送信元:192.0.2.1 TCP/22"
    assert len(folded) == len(text)
    assert fold_width("plain") == "plain"


def test_normalise_folds_width_kana_and_case() -> None:
    assert normalise("ＦＸで副業 Bitcoin ｶﾀｶﾅ") == "fxで副業 bitcoin カタカナ"


@given(st.text(max_size=300))
def test_fold_width_is_one_to_one(text: str) -> None:
    assert len(fold_width(text)) == len(text)


@given(st.text(alphabet=st.sampled_from(list("<>/!-?=\"' abpsciptr\n\t&;#x1")), max_size=400))
def test_html_text_lines_are_trimmed_and_blank_runs_collapsed(markup: str) -> None:
    text = html_to_text(markup, links=True)
    assert "\n\n\n" not in text
    assert all(line == line.strip() for line in text.split("\n"))
    assert text == text.strip()


def test_the_format_ranges_are_exactly_this_pythons_format_characters() -> None:
    listed = {c for a, b in FORMAT_RANGES for c in range(a, b + 1)}
    cf = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    assert listed == cf


@given(st.text())
def test_dropping_format_characters_is_a_category_filter(text: str) -> None:
    assert drop_format_chars(text) == "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


_ASCII_UPPER_TO_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


@given(st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=())))
def test_ascii_lower_lowers_a_to_z_and_nothing_else(text: str) -> None:
    from abusebox.parsing.text import ascii_lower

    assert ascii_lower(text) == text.translate(_ASCII_UPPER_TO_LOWER)


def test_ascii_lower_keeps_every_other_character_in_its_place() -> None:
    from abusebox.parsing.text import ascii_lower

    text = "ÅBC不正アクセス\ud83d\ude00X\udcffİK\u212aＡ"  # a split pair, a lone surrogate, Kelvin
    lowered = ascii_lower(text)
    assert lowered == "Åbc不正アクセス\ud83d\ude00x\udcffİk\u212aＡ"
    assert len(lowered) == len(text)


def test_a_lowered_pattern_keeps_its_group_names_and_escapes() -> None:
    from abusebox.parsing.text import lowered_pattern

    assert lowered_pattern(r"(?P<Zone>JST)\b\d(?P=Zone)[A-Z]") == r"(?P<Zone>jst)\b\d(?P=Zone)[a-z]"
    assert lowered_pattern(r"C:\\Windows\x4A") == r"c:\\windows\x4a"  # a backslash, then a letter
    for escape in (r"\S+", r"\D", r"x\W", r"\Bab", r"\Aab", r"ab\Z"):
        with pytest.raises(ValueError, match="upper-case escape"):
            lowered_pattern(escape)


_LOWERED_PATTERNS = (
    r"(?P<word>Time\s?Zone|TZ)[:=]\s*(?P<zone>[A-Z]{3,4}|UTC[+-]\d{1,2})",
    r"\bOpenSSH[_ /]v?(?P<v>\d+(?:\.\d+)*)\b",
    r"(?P<a>[Ss]ource)\s?(?P=a)|C:\\Temp",
)


@given(
    st.sampled_from(_LOWERED_PATTERNS),
    st.lists(
        st.sampled_from(["Time", "ZONE", "zone", "TZ", "tz", ":", "=", " ", "JST", "cest", "UTC+9", "utc-05",
                         "OpenSSH", "openssh", "_", "/", "v", "7.4", ".2", "Source", "SOURCE", "source",
                         "C:\\Temp", "c:\\temp", "不正", "x", "9"]),
        max_size=12,
    ).map("".join),
)  # fmt: skip
def test_a_lowered_pattern_finds_in_lowered_text_what_the_case_blind_one_finds(
    pattern: str, text: str
) -> None:
    import re

    from abusebox.parsing.text import ascii_lower, lowered_pattern

    blind = re.compile(pattern, re.IGNORECASE | re.ASCII)
    lowered = re.compile(lowered_pattern(pattern), re.ASCII)
    assert [(m.span(), m.groupdict()) for m in blind.finditer(text)] == [
        (m.span(), {k: v and text[m.start(k) : m.end(k)] for k, v in m.groupdict().items()})
        for m in lowered.finditer(ascii_lower(text))
    ]


@given(st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=())))
def test_digits_as_zero_writes_ascii_digits_as_0_and_nothing_else(text: str) -> None:
    from abusebox.parsing.text import digits_as_zero

    assert digits_as_zero(text) == text.translate({c: ord("0") for c in range(ord("1"), ord("9") + 1)})
    assert digits_as_zero("sshd[2004] ２０ \ud800 9") == "sshd[0000] ２０ \ud800 0"


def test_digit_shape_keeps_a_text_that_holds_a_digit_word_in_any_case() -> None:
    from abusebox.parsing.text import digit_shape

    assert digit_shape("sshd[2004] from", ("c2",)) == "sshd[0000] from"
    assert digit_shape("C2 server 12", ("c2",)) == "C2 server 12"
    assert digit_shape("c3 server 12", ("c2",)) == "c0 server 00"
