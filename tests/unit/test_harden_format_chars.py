"""Issue 15 defect 6: zero-width and other format characters never change an address."""

from __future__ import annotations

import pytest

from abusebox.core.config import Settings
from abusebox.pipeline.analyze import analyze


def _mail(line: str) -> bytes:
    head = (
        "From: reporter@example.org\nTo: abuse@example.net\nSubject: ssh brute force\n"
        "Date: Thu, 19 Nov 2026 12:00:00 +0900\nMessage-ID: <t@example.org>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    )
    body = f"We saw SSH brute force attempts from the following host.\n\n{line}\n"
    return head.encode() + body.encode("utf-8")


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("1\u200b98.51.100.7", "198.51.100.7"),
        ("20\u200d3.0.113.60", "203.0.113.60"),
        ("203.0.113.9\u200b9", "203.0.113.99"),
        ("2001:db8::\u20601", "2001:db8::1"),
        ("\ufeff192.0.2.\u00ad5", "192.0.2.5"),
    ],
)
def test_format_characters_are_removed_before_matching(address: str, expected: str) -> None:
    line = f"Nov 19 01:20:30 host sshd[1]: Failed password for root from {address} port 4242 ssh2"
    result = analyze(_mail(line), Settings())
    observations = result.extraction.observations
    ips = {o.ip for o in observations}
    assert expected in ips, observations
    assert not ips - {expected}
    for obs in observations:
        assert not any(ch in (obs.evidence or "") for ch in "\u200b\u200d\u2060\ufeff\u00ad")
        assert expected in (obs.evidence or "")
