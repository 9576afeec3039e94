"""count_terms reads a text once for a whole vocabulary and finds what a search per term finds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from abusebox.triage.rules import fraud, lure, newsletter, report_language, solicitation, spam_content
from abusebox.triage.text import count_terms


def one_search_per_term(text: str, terms: tuple[str, ...]) -> list[str]:
    """The reference: ASCII terms as whole words at letter/digit ends, others as substrings."""
    found = []
    for term in terms:
        if term.isascii():
            left = r"\b" if term[0].isalnum() else ""
            right = r"\b" if term[-1].isalnum() else ""
            hit = re.search(left + re.escape(term) + right, text) is not None
        else:
            hit = term in text
        if hit:
            found.append(term)
    return found


TERMS = ("fx", "free", "free money", "click here", "c++", "_x", "x-", "詐欺", "当選", "ip", "fx fx")
ALPHABET = st.sampled_from(list("fxreemonyclikh +_-ip詐欺当選éß1\n."))


def test_whole_words_and_substrings() -> None:
    assert count_terms("try firefox for free money", TERMS) == ["free", "free money"]
    assert count_terms("fx: c++ x-ray 詐欺サイト", TERMS) == ["fx", "c++", "x-", "詐欺"]
    assert count_terms("fx fx", TERMS) == ["fx", "fx fx"]  # overlapping terms both count
    assert count_terms("ipé fxß", TERMS) == []  # a non-ASCII letter is a word character too
    assert count_terms("", TERMS) == []
    assert count_terms("free", ()) == []


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET, max_size=60))
def test_same_as_a_search_per_term(text: str) -> None:
    assert count_terms(text, TERMS) == one_search_per_term(text, TERMS)


def test_the_rule_vocabularies_match_as_before() -> None:
    samples = [
        "Click here to claim your free prize! 当選おめでとうございます 不正アクセス brute force",
        "Dear customer, unsubscribe here. ポートスキャンを検知しました。ご対応をお願いします",
    ]
    vocabularies = [
        fraud.TERMS,
        lure.TERMS,
        newsletter.TERMS,
        report_language.TERMS,
        solicitation.SALES,
        solicitation.QUESTION,
        *spam_content.TOPICS.values(),
    ]
    for terms in vocabularies:
        for text in [*samples, " ".join(terms), "\n".join(reversed(terms))]:
            assert count_terms(text, terms) == one_search_per_term(text, terms)


def test_one_text_asked_about_several_vocabularies_in_turn() -> None:
    # The text is read once for every vocabulary known, and what it holds is kept for the
    # next question about it: a vocabulary first asked for after that must still be found.
    # (Terms no rule has, so that no other test has made them known already.)
    text = "qzclick qzhere: 試験語 of a qzfree qzprize, qzfx qzspam"
    first = ("qzclick qzhere", "qzfree")
    later = ("試験語", "qzfx", "qzprize", "qznothing")
    assert count_terms(text, first) == ["qzclick qzhere", "qzfree"]
    assert count_terms(text, later) == ["試験語", "qzfx", "qzprize"]
    assert count_terms(text, first) == ["qzclick qzhere", "qzfree"]
    assert count_terms("a qzfree qzprize", later) == ["qzprize"]
    assert count_terms(text + " ", ("qzspam",)) == ["qzspam"]


def test_more_vocabularies_than_the_automaton_keeps() -> None:
    from abusebox.triage import text as module

    many = [(f"term{n}", "shared") for n in range(module._Lexicon.MAX_VOCABULARIES + 5)]
    for n, terms in enumerate(many):
        assert count_terms(f"term{n} shared term{n + 1}", terms) == [f"term{n}", "shared"]
    assert count_terms("free money", ("free",)) == ["free"]


def test_an_empty_term_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError):
        count_terms("text", ("free", ""))
