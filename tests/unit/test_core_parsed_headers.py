"""ParsedMessage.header: the first value of a header, whatever the case of its name."""

from __future__ import annotations

from dataclasses import replace

from abusebox.core.config import LimitSettings
from abusebox.parsing.mime import parse_message

RAW = (
    b"From: a@example.net\r\nReceived: first\r\nX-Spam-Status: Yes\r\nreceived: second\r\n"
    b"Subject: hello\r\n\r\nbody\r\n"
)


def test_the_first_value_of_a_header_in_any_case():
    parsed = parse_message(RAW, LimitSettings())
    assert parsed.header("RECEIVED") == "first"
    assert parsed.header("received") == "first"
    assert parsed.header("x-spam-status") == "Yes"
    assert parsed.header_all("Received") == ["first", "second"]
    assert parsed.header("X-Missing") is None


def test_a_copy_with_other_headers_answers_from_its_own():
    parsed = parse_message(RAW, LimitSettings())
    assert parsed.header("Subject") == "hello"  # the original has made its index
    copy = replace(parsed, headers=[("Subject", "changed"), ("Subject", "later")])
    assert copy.header("subject") == "changed"
    assert copy.header("From") is None
    assert parsed.header("Subject") == "hello"
