"""Where the tests find their files: the checkout, tests/data, the example inbox, the shared corpus."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
DATA = TESTS / "data"
EXAMPLES = REPO / "examples" / "inbox"
CORPUS = REPO.parent / "shared" / "corpus"  # read in place, never copied into the repository
