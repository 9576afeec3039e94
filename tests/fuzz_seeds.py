"""Seeds for the mutation fuzz tests: the example inbox, plus the shared corpus when present."""

from __future__ import annotations

from functools import cache

from paths import CORPUS, EXAMPLES

MAX_SEED_BYTES = 200_000


@cache
def seeds() -> tuple[bytes, ...]:
    files = sorted(p for p in EXAMPLES.rglob("*") if p.is_file())
    if CORPUS.is_dir():  # the corpus adds real-world variety; the examples suffice without it
        files += sorted(p for p in CORPUS.rglob("*") if p.suffix in (".eml", ".msg"))
    return tuple(raw for p in files if len(raw := p.read_bytes()) <= MAX_SEED_BYTES)
