"""Cheap substring gates in front of costly searches never hide a match."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from abusebox.triage.rules import unsubscribe

_PIECES = st.sampled_from(
    ["please", " ", "\n", "\t", "unsubscribe", "me", "remove", "from", "take", "off", "stop", "sending",
     "this", "your", "the", "list", "mailing", "配信を停止してください", "配信停止をお願い", "配信", "x", "."]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=16).map("".join))
def test_no_unsubscribe_request_without_one_of_its_words(text: str) -> None:
    if unsubscribe._ASK.search(text) is not None:
        assert any(word in text for word in unsubscribe._ASK_WORDS)


def test_each_branch_of_the_request_is_found():
    for text in ["Please unsubscribe me.", "remove me from your mailing list", "take me off the list",
                 "stop sending me these", "配信を停止してください", "配信停止をお願いします"]:  # fmt: skip
        assert unsubscribe._ASK.search(text) is not None, text
        assert any(word in text for word in unsubscribe._ASK_WORDS), text
