"""IMAP UID sets, without a server."""

from __future__ import annotations

from abusebox.sources.imap import uid_set


def test_uid_set_collapses_only_consecutive_uids() -> None:
    assert uid_set([5, 1, 2, 3, 7, 8, 10]) == "1:3,5,7:8,10"
    assert uid_set([4]) == "4"
    assert uid_set([]) == ""
