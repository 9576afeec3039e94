"""The contract every registered format parser keeps (as IntelMQ's BotTestCase for every bot).

Each parser claims its own fixture (a real mail under tests/data/formats/), declines the
fixtures of the other formats, and survives arbitrary and broken input without raising.
"Declines" means ``parse`` returns None, not merely an Extraction without sources: a
claimed message stops the dispatch. The one exception is a generic reader ordered after
a specific one that reads the specific one's fixture too (OVERLAPS): dispatch never
gives it that message, and the test checks that the order keeps it so.

A parser that raises is isolated: the failure is an extraction reason naming the parser,
with its traceback, and the next parser (or the free text) reads the message.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import DATA as TEST_DATA

from abusebox.core.config import Settings
from abusebox.core.errors import LimitExceeded
from abusebox.core.models import Extraction, ParsedMessage
from abusebox.extract import extract
from abusebox.extract.formats import FormatContext, register, registered
from abusebox.parsing.mime import parse_message
from abusebox.pipeline.analyze import analyze

DATA = TEST_DATA / "formats"
FIXTURES = {
    "arf": "arf.eml",
    "spamcop": "spamcop.eml",
    "blocklistde": "blocklistde.eml",
    "xarf": "xarf.eml",
    "fail2ban": "fail2ban.eml",
    "jpcert": "jpcert_table.eml",
    "shadowserver": "shadowserver.eml",
    "json": "json.eml",
    "csv": "csv.eml",
    "feed": "feed.eml",
    "forwarded": "forwarded_inline.eml",
    "html": "html_only.eml",
    "iodef": "iodef.eml",
}
# (parser, the format whose fixture it reads as well): the generic CSV reader reads any
# table with an address column, Shadowserver's too; Shadowserver is dispatched first.
OVERLAPS = {("csv", "shadowserver")}

PARSERS = {parser.name: parser for parser in registered()}
NAMES = list(PARSERS)


def fixture(name: str) -> ParsedMessage:
    return parse_message((DATA / FIXTURES[name]).read_bytes())


def parse(name: str, parsed: ParsedMessage) -> Extraction | None:
    return PARSERS[name].parse(parsed, FormatContext())


def test_every_registered_parser_has_a_fixture() -> None:
    assert sorted(FIXTURES) == sorted(NAMES)
    assert all((DATA / path).is_file() for path in FIXTURES.values())


@pytest.mark.parametrize("name", NAMES)
def test_a_parser_claims_its_fixture_and_dispatch_gives_it_there(name: str) -> None:
    parsed = fixture(name)
    claimed = parse(name, parsed)
    assert claimed is not None and claimed.format == name
    assert any(o.role == "source" for o in claimed.observations)
    assert not [r for r in claimed.reasons if "failed" in r.text]
    assert extract(parsed).format == name


DECLINES = [(n, o) for n in NAMES for o in NAMES if n != o and (n, o) not in OVERLAPS]


@pytest.mark.parametrize(("name", "other"), DECLINES, ids=[f"{n}-on-{o}" for n, o in DECLINES])
def test_a_parser_declines_the_fixtures_of_the_other_formats(name: str, other: str) -> None:
    assert parse(name, fixture(other)) is None, f"{name} claims the {other} fixture"


@pytest.mark.parametrize(("name", "other"), sorted(OVERLAPS))
def test_an_overlap_is_real_and_dispatched_after_the_owner(name: str, other: str) -> None:
    assert parse(name, fixture(other)) is not None, f"{name} no longer reads {other}: drop the entry"
    assert NAMES.index(other) < NAMES.index(name), f"{other} must be dispatched before {name}"
    assert extract(fixture(other)).format == other


Ops = list[tuple[int, int, bytes]]  # (what: delete, cut, duplicate, replace, append junk; which line; junk)


def _lines_mutated(raw: bytes, ops: Ops) -> bytes:
    """``raw`` with lines deleted, cut, duplicated or replaced: broken MIME around the markers."""
    lines = raw.split(b"\n")
    for kind, where, junk in ops:
        if not lines:
            break
        at = where % len(lines)
        if kind == 0:
            del lines[at]
        elif kind == 1:
            lines[at] = lines[at][: len(junk)]
        elif kind == 2:
            lines.insert(at, lines[at])
        elif kind == 3:
            lines[at] = junk
        else:
            lines[at] = lines[at][: len(lines[at]) // 2] + junk
    return b"\n".join(lines)


MUTATIONS = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 10_000), st.binary(max_size=40)), min_size=1, max_size=8
)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _survives(name: str, raw: bytes) -> None:
    result = parse(name, parse_message(raw))
    assert result is None or result.format


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(ops=MUTATIONS)
def test_a_parser_survives_broken_mime_around_its_markers(
    name: str, ops: list[tuple[int, int, bytes]]
) -> None:
    _survives(name, _lines_mutated((DATA / FIXTURES[name]).read_bytes(), ops))


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.binary(max_size=3000))
def test_a_parser_survives_arbitrary_bytes(name: str, data: bytes) -> None:
    _survives(name, data)


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(body=st.text(max_size=2000), keep=st.integers(0, 60))
def test_a_parser_survives_arbitrary_text_after_its_headers(name: str, body: str, keep: int) -> None:
    raw = (DATA / FIXTURES[name]).read_bytes()
    head = b"\n".join(raw.split(b"\n\n", 1)[0].split(b"\n")[:keep])
    _survives(name, head + b"\n\n" + body.encode("utf-8", "surrogatepass"))


def _broken(parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
    raise RuntimeError("boom")


def test_a_raising_parser_is_recorded_and_the_next_parser_reads_the_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PARSERS["shadowserver"], "parse", _broken)
    extraction = extract(fixture("shadowserver"))
    assert extraction.format == "csv"
    assert [o.ip for o in extraction.observations] == ["192.0.2.10", "2001:db8::5"]
    failure = extraction.reasons[0]
    assert (failure.stage, failure.rule) == ("extract", "shadowserver")
    assert failure.text == "format parser 'shadowserver' failed (RuntimeError: boom); the next parser ran"
    assert failure.detail is not None
    assert "Traceback (most recent call last)" in failure.detail and "in _broken" in failure.detail


def test_when_every_parser_declines_after_a_failure_the_free_text_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PARSERS["arf"], "parse", _broken)
    raw = (DATA / FIXTURES["arf"]).read_bytes()
    analysis = analyze(raw, Settings())  # no StageError: the message is analysed
    extraction = analysis.extraction
    assert extraction.format == "freeform"
    assert "192.0.2.200" in [o.ip for o in extraction.observations if o.role == "source"]
    assert extraction.reasons[0].text.startswith("format parser 'arf' failed (RuntimeError: boom)")


def test_a_bound_crossed_inside_a_parser_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def over(parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        raise LimitExceeded("too many rows")

    monkeypatch.setattr(PARSERS["arf"], "parse", over)
    with pytest.raises(LimitExceeded, match="too many rows"):
        extract(fixture("arf"))


def test_a_duplicate_order_is_an_error_and_leaves_the_registry_as_it_was() -> None:
    class Late:
        name = "late"

        def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
            return None

    taken = 10  # arf's
    with pytest.raises(ValueError, match="format parsers 'arf' and 'late' both have order 10"):
        register(order=taken)(Late)
    assert [p.name for p in registered()] == NAMES
