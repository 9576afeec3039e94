"""Hostile input is normal input: no extraction function raises on any text."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from abusebox.extract.categories import category_from_rsit, category_from_text
from abusebox.extract.freeform import extract_freeform
from abusebox.extract.ips import find_ips, parse_ip
from abusebox.extract.times import find_times, parse_time, stated_zone
from abusebox.parsing.mime import parse_message

# Characters that make up the shapes we parse, so that the fuzzer reaches deep branches.
ALPHABET = st.sampled_from(
    [*"0123456789.:-/ []()年月日時分秒午前後令和平成元TZ+abcdefABCDEFJSTUCGMNov,\n\t>=", "０", "．", "[.]"]
)
texts = st.one_of(st.text(max_size=300), st.lists(ALPHABET, max_size=300).map("".join))


@settings(max_examples=400, deadline=None)
@given(text=texts)
def test_value_functions_never_raise(text):
    for hit in find_ips(text):
        assert 0 <= hit.start < hit.end <= len(text)
    parse_ip(text)
    ref = datetime(2026, 11, 20, tzinfo=UTC)
    for hit in find_times(text, reference=ref):
        assert hit.time.tzinfo is UTC and hit.time <= datetime(2026, 11, 22, tzinfo=UTC)
    value = parse_time(text, reference=ref)
    assert value is None or value.tzinfo is UTC
    stated_zone(text)
    category_from_text(text)
    category_from_rsit(text)


@settings(max_examples=150, deadline=None)
@given(
    text=texts,
    date=st.sampled_from(["Thu, 19 Nov 2026 12:00:00 +0900", "garbage", "Mon, 1 Jan 0001 00:00 -1200"]),
)
def test_freeform_never_raises(text, date):
    raw = f"From: a@example.org\nDate: {date}\nSubject: x\n\n".encode() + text.encode(
        "utf-8", "surrogatepass"
    )
    extraction = extract_freeform(parse_message(raw))
    for obs in extraction.observations:
        assert obs.time is None or obs.time.tzinfo is UTC


def test_years_at_the_edge_of_datetime_are_refused_not_overflowed():
    assert parse_time("0001年1月1日 00:00 +0900") is None
    assert parse_time("9999年12月31日 23:00 -1200") is None
    assert find_times("0001年1月1日 00:00 +0900 and 9999年12月31日 23:59") == []
