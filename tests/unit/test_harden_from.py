"""Issue 15 defect 7: the From address is parsed from the raw header, not after decoding."""

from __future__ import annotations

from abusebox.parsing.mime import parse_message


def _from(value: bytes) -> str | None:
    return parse_message(b"From: " + value + b"\r\nSubject: x\r\n\r\nbody\r\n").from_addr


def test_encoded_display_name_is_not_the_address() -> None:
    assert (
        _from(b"=?utf-8?q?security=40jpcert=2Eor=2Ejp?= <evil@attacker.example>") == "evil@attacker.example"
    )


def test_encoded_crlf_in_display_name_adds_no_address() -> None:
    value = b"=?utf-8?q?x=0D=0ABcc=3A_victim2=40evil=2Eexample?= <sender@example.org>"
    assert _from(value) == "sender@example.org"


def test_plain_and_folded_from_still_work() -> None:
    assert _from(b"Reporter <Reporter@Example.NET>") == "reporter@example.net"
    assert _from(b"=?iso-2022-jp?b?GyRCJUYlOSVIGyhC?=\r\n <jp@example.jp>") == "jp@example.jp"
    assert _from("山田 <yamada@example.jp>".encode()) == "yamada@example.jp"
