"""Literal prefilters: every match of a pattern contains one of its required literals."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abusebox.parsing.literals import PatternSet, required_literals


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"failed password", {"failed password"}),
        (r"\bsshd\b.{0,40}(?:fail|invalid)", {"sshd"}),
        (r"port[\s-]?scan\w*|\bnmap\b", {"port", "nmap"}),
        (r"(?:ab)+cde", {"cde"}),
        (r"x(?:ab){2,}", {"ab"}),
        (r"(?<!\bno )intrusion\b(?! attempt)", {"intrusion"}),
        (r"総当たり|辞書攻撃", {"総当たり", "辞書攻撃"}),
        (r"(?>abc)d", {"abc"}),
    ],
)
def test_required_literals_of_examples(pattern: str, expected: set[str]) -> None:
    assert required_literals(pattern) == expected


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?i)failed",  # case-blind: the literal is not what the text holds
        r"(?i:ab)cd?",  # the only sure literal is case-blind, the rest too short
        r"ab|\d+",  # one branch needs no literal
        r"(?:abc)?\w+",  # optional
        r"(?:abc)*x",
        r"a\b",  # shorter than two characters
        r"\d{1,3}\.\d{1,3}",
    ],
)
def test_no_literal_when_it_cannot_be_sure(pattern: str) -> None:
    assert required_literals(pattern) is None


def test_pattern_set_candidates_and_lines() -> None:
    patterns = [re.compile(r"failed password"), re.compile(r"\d+"), re.compile(r"scan\w*|probe")]
    sets = PatternSet(patterns)
    assert sets.always == {1}
    assert sets.candidates("a probe and failed password") == {0, 1, 2}
    assert sets.candidates("nothing here") == {1}
    lines = ["failed", "password scan", "probe probe scan", "", "failed password"]
    # "failed\npassword" crosses a line end: not an occurrence on either line.
    assert sets.candidate_lines(lines) == {2: [1, 2], 0: [4]}


_ALPHABET = "abAB -.\n総当"
_atoms = st.sampled_from(["a", "b", "ab", "ba", "総当", r"\w", r"\s", ".", "[ab]", r"\b", "-", " ", "A"])


def _regex() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.lists(inner, min_size=1, max_size=4).map("".join),
            st.lists(inner, min_size=2, max_size=3).map("|".join),
            inner.map(lambda p: f"(?:{p})"),
            inner.map(lambda p: f"(?:{p})+"),
            inner.map(lambda p: f"(?:{p})?"),
            inner.map(lambda p: f"(?:{p}){{2,3}}"),
            inner.map(lambda p: f"(?>{p})"),
            inner.map(lambda p: f"(?i:{p})"),
            inner.map(lambda p: f"(?={p})"),
        )

    return st.recursive(_atoms, extend, max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(pattern=_regex(), text=st.text(alphabet=_ALPHABET, max_size=40))
def test_a_match_always_holds_a_required_literal(pattern: str, text: str) -> None:
    literals = required_literals(pattern)
    if literals is None:
        return
    for match in re.finditer(pattern, text):
        # The literal lies inside the match itself, not merely somewhere in the text.
        assert any(literal in match.group() for literal in literals), (pattern, text, match)
        assert PatternSet([re.compile(pattern)]).candidates(text) == {0}
