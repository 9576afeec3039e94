"""Mutated real messages never make analysis raise: it returns an Analysis or an AnalysisFailure.

Seeds are the example inbox and the shared corpus (read in place); mutations are what
broken mailers and attackers produce: bit flips, truncation, deleted or duplicated
boundary lines, duplicated and spliced headers, inserted NULs and 8-bit bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fuzz_seeds import seeds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abusebox.core.config import Settings
from abusebox.core.models import Analysis
from abusebox.pipeline.pool import AnalysisFailure, analyze_safely

_BOUNDARY_LINE = re.compile(rb"^--[^\r\n]*\r?\n", re.MULTILINE)
_HEADER_LINE = re.compile(rb"^[A-Za-z-]+:[^\r\n]*\r?\n", re.MULTILINE)


@pytest.fixture(scope="module")
def analysis_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    # Anchor the PGP home in a temporary folder, not the working directory.
    yield Settings(path=str(tmp_path_factory.mktemp("fuzz") / "abusebox.toml"))


def _flip(raw: bytes, at: int, bit: int) -> bytes:
    if not raw:
        return raw
    i = at % len(raw)
    return raw[:i] + bytes([raw[i] ^ (1 << bit)]) + raw[i + 1 :]


def _delete_boundary(raw: bytes, which: int) -> bytes:
    lines = list(_BOUNDARY_LINE.finditer(raw))
    if not lines:
        return raw
    m = lines[which % len(lines)]
    return raw[: m.start()] + raw[m.end() :]


def _duplicate_header(raw: bytes, which: int, times: int) -> bytes:
    lines = list(_HEADER_LINE.finditer(raw))
    if not lines:
        return raw
    m = lines[which % len(lines)]
    return raw[: m.end()] + m.group() * times + raw[m.end() :]


def _insert(raw: bytes, at: int, junk: bytes) -> bytes:
    i = at % (len(raw) + 1)
    return raw[:i] + junk + raw[i:]


MUTATION = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**9), st.integers(0, 7)),
    st.tuples(st.just("truncate"), st.integers(0, 10**9), st.just(0)),
    st.tuples(st.just("boundary"), st.integers(0, 100), st.just(0)),
    st.tuples(st.just("header"), st.integers(0, 100), st.integers(1, 50)),
    st.tuples(
        st.just("insert"), st.integers(0, 10**9), st.sampled_from(range(len(b"\x00\xff\r\n--=?(<\x1b$B")))
    ),
)
JUNK = (b"\x00", b"\xff\xfe", b"\r\n\r\n", b"--", b"=?utf-8?B?", b"(" * 200, b"<" * 200, b"\x1b$B")


def mutate(raw: bytes, mutation: tuple[str, int, int]) -> bytes:
    kind, a, b = mutation
    if kind == "flip":
        return _flip(raw, a, b)
    if kind == "truncate":
        return raw[: a % (len(raw) + 1)]
    if kind == "boundary":
        return _delete_boundary(raw, a)
    if kind == "header":
        return _duplicate_header(raw, a, b)
    return _insert(raw, a, JUNK[b % len(JUNK)])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), mutations=st.lists(MUTATION, min_size=1, max_size=6))
def test_mutated_messages_never_raise(
    analysis_settings: Settings, seed: int, mutations: list[tuple[str, int, int]]
) -> None:
    pool = seeds()
    raw = pool[seed % len(pool)]
    for mutation in mutations:
        raw = mutate(raw, mutation)
    result = analyze_safely(raw, analysis_settings)
    assert isinstance(result, Analysis | AnalysisFailure)
    if isinstance(result, AnalysisFailure):
        assert result.stage and result.reason
        # A bound crossed is fine; a stage that raised is a bug in that stage.
        assert result.traceback is None, result.traceback
    else:
        result.contract()  # the JSON of `abusebox parse` can be built
