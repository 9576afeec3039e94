"""Triage over every sample of the shared corpus: signed samples run gpg."""

from __future__ import annotations

from pathlib import Path

from services import corpus_dir

from abusebox.core.config import Settings
from abusebox.core.models import Analysis
from abusebox.pipeline.analyze import analyze


def explain(a: Analysis) -> str:
    return f"{a.verdict} ({a.triage.score}):\n  " + "\n  ".join(a.triage.reasons)


def _corpus_samples() -> list[Path]:
    root = corpus_dir()
    return sorted([*root.rglob("*.eml"), *root.rglob("*.msg")])


def test_every_corpus_message_is_a_report() -> None:
    root = corpus_dir()
    wrong = []
    for path in _corpus_samples():
        a = analyze(path.read_bytes(), Settings())
        if a.verdict != "report":
            wrong.append(f"{path.relative_to(root)}: {explain(a)}")
    assert not wrong, "\n".join(wrong)
    assert len(_corpus_samples()) >= 30
