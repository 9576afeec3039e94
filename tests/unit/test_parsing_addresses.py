"""Address headers that made the stdlib recurse or return garbage."""

from __future__ import annotations

import email.utils

import pytest

from abusebox.parsing.addresses import get_addresses, parse_address
from abusebox.parsing.mime import parse_message


def test_deeply_nested_comments_do_not_raise() -> None:
    value = "(" * 20_000 + "c" + ")" * 20_000 + " Name <a@example.org>"
    with pytest.raises(RecursionError):
        email.utils.getaddresses([value])  # what used to quarantine the message
    assert get_addresses(value) == [("Name", "a@example.org")]
    assert parse_address("(" * 50_000 + "unbalanced <a@example.org>") == ("", "")


def test_ordinary_headers_parse_as_the_stdlib_does() -> None:
    value = '"Doe, J" <j@example.org>, b@example.net (Bee)'
    assert get_addresses(value) == email.utils.getaddresses([value])
    assert parse_address(None) == ("", "")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"From: " + b"(" * 30 + b"x" + b")" * 30 + b" <a@example.org>", "a@example.org"),
        (b'From: <<<@@@>>> ,,, "unterminated <a@', None),
        (b"From: evil\x00@example.org", None),
        (b"From:", None),
    ],
)
def test_from_address_is_an_address_or_none(header: bytes, expected: str | None) -> None:
    parsed = parse_message(header + b"\r\nSubject: s\r\n\r\nbody\r\n")
    assert parsed.from_addr == expected


def test_a_header_asked_about_again_gives_the_same_pairs_in_a_list_of_its_own():
    value = '"Abuse Desk" <abuse@example.net>, csirt@example.org'
    first = get_addresses(value)
    assert first == [("Abuse Desk", "abuse@example.net"), ("", "csirt@example.org")]
    first.append(("mallory", "mallory@example.com"))  # a caller's own list: the next one is whole
    assert get_addresses(value) == [("Abuse Desk", "abuse@example.net"), ("", "csirt@example.org")]
