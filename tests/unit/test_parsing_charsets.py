"""decode_bytes decodes with text codecs only and never raises."""

from __future__ import annotations

import codecs

import pytest

from abusebox.parsing.charsets import decode_bytes

NOT_FOR_MAIL_TEXT = [
    "base64", "hex", "zlib", "bz2", "uu", "quopri", "rot13", "rot_13",  # bytes-to-bytes / str-to-str
    "undefined", "idna", "punycode", "unicode_escape", "raw_unicode_escape",  # text codecs, not for mail
]  # fmt: skip


@pytest.mark.parametrize("label", NOT_FOR_MAIL_TEXT)
def test_codecs_that_are_not_mail_text_codecs_are_refused(label: str) -> None:
    codecs.lookup(label)  # Python knows the name: only our check keeps it away from text
    data = b"\\x41 \\N{BULLET} cmVwb3J0 xn--abc 203.0.113.9 \xe6\x94\xbb\xe6\x92\x83"
    text, codec = decode_bytes(data, label)
    assert codec == "utf-8"  # guessed as for an unknown label
    assert text == data.decode("utf-8")  # escapes kept as sent, nothing base64-decoded


@pytest.mark.parametrize(
    "label", ["utf-7", "utf-16", "utf-32", "x" * 5000, "utf\x00-8", "\udcff", '"utf-8\\"', "", None]
)
@pytest.mark.parametrize(
    "data", [b"", b"\xff\xfe\x00", b"+2AA- +ADw-script+AD4-", b"\x1b$B\xff", bytes(range(256))]
)
def test_never_raises_and_never_returns_lone_surrogates(label: str | None, data: bytes) -> None:
    text, codec = decode_bytes(data, label)
    assert codec
    text.encode("utf-8")  # no lone surrogate: the database and JSON output can take it


def test_utf7_still_decodes_but_without_lone_surrogates() -> None:
    assert decode_bytes(b"Hi +ZeVnLIqe-", "utf-7") == ("Hi 日本語", "utf-7")
    assert decode_bytes(b"a +2AA- b", "utf-7") == ("a \ufffd b", "utf-7")
