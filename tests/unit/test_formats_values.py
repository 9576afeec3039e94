"""Field values of structured reports: the fast address path gives what ipaddress gives."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abusebox.core.models import Observation
from abusebox.extract.formats.values import _parsed_ip, field_ip

_OCTET = st.one_of(st.integers(0, 255).map(str), st.sampled_from(["00", "01", "256", "999", "-1", "1a", ""]))
_QUADS = st.lists(_OCTET, min_size=3, max_size=5).map(".".join)
_SPECIAL = st.sampled_from(
    [
        "127.0.0.1",
        "127.255.255.254",
        "169.254.1.1",
        "169.253.1.1",
        "0.0.0.0",
        "0.0.0.1",
        "255.255.255.255",
        "224.0.0.1",
        "10.0.0.1",
        "192.0.2.7",
        "1.2.3.4 ",
        "1.2.3.4/24",
        "1.2.3.4\x00",
        "１.２.３.４",
    ]
)
_V4 = st.integers(0, 2**32 - 1).map(lambda v: str(ipaddress.IPv4Address(v)))


@given(st.one_of(_QUADS, _SPECIAL, _V4, st.text(alphabet="0123456789.", max_size=16)))
def test_dotted_quads_read_as_ipaddress_reads_them(text: str) -> None:
    """Whatever the text of a field, the C inet_pton path agrees with the ipaddress reading:
    the same canonical address, the same dropped loopback, link-local and unspecified."""
    stripped = text.strip().strip('"')
    assert field_ip(text) == (_parsed_ip(stripped) if stripped else None)


def test_dropped_and_kept() -> None:
    assert field_ip("127.0.0.1") is None and field_ip("169.254.7.7") is None and field_ip("0.0.0.0") is None
    assert field_ip('"203.0.113.5"') == "203.0.113.5" and field_ip("224.0.0.1") == "224.0.0.1"
    assert field_ip("::ffff:203.0.113.5") == "203.0.113.5"


def test_observation_times_are_normalised_or_refused() -> None:
    """The UTC, whole-second fast path of Observation keeps its checks for the other times."""
    tokyo = timezone(timedelta(hours=9))
    utc = datetime(2026, 11, 19, 3, 14, tzinfo=UTC)
    assert Observation("192.0.2.1", time=utc).time is utc
    moved = Observation("192.0.2.1", time=datetime(2026, 11, 19, 12, 14, tzinfo=tokyo))
    assert moved.time == utc and moved.time.tzinfo is UTC
    for bad in (utc.replace(microsecond=5), datetime(2026, 11, 19, 3, 14)):
        with pytest.raises(ValueError):
            Observation("192.0.2.1", time=bad)
