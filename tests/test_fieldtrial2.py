"""The second held-out field trial: Japanese CSIRT mail and provider notices written after the first.

Every tests/data/fieldtrial2/*.eml goes through ``analyze()`` and is compared with its
hand-written ``.expected.json`` (scored by fieldtrial_score.py, like the first set).
Misses are printed per file; the thresholds are over the whole set. The figures before
and after the fixes are in docs/fieldtrial2.md.
"""

from __future__ import annotations

import json

import pytest
from fieldtrial_score import FIELDTRIAL2, Figures, SampleScore, figures, report_lines, samples, score_sample

from abusebox.models import CATEGORIES, VERDICTS


@pytest.fixture(scope="module")
def scores() -> list[SampleScore]:
    return [score_sample(path) for path in samples(FIELDTRIAL2)]


@pytest.fixture(scope="module")
def figs(scores: list[SampleScore]) -> Figures:
    print("\n" + "\n".join(report_lines(scores)))
    print(figures(scores))
    return figures(scores)


def test_the_set_is_large_and_labelled() -> None:
    paths = samples(FIELDTRIAL2)
    assert len(paths) >= 40
    for path in paths:
        expected = json.loads(path.with_suffix(".expected.json").read_text())
        assert expected["verdict"] in VERDICTS, path.name
        assert expected["category"] is None or expected["category"] in CATEGORIES, path.name
        if expected["verdict"] == "report":
            assert expected["sources"], f"{path.name}: a report names at least one source"
            assert expected["category"] is not None, path.name
        for source in expected["sources"]:
            assert source["time"] is None or source["time"].endswith("Z"), path.name
    assert not [
        p for p in FIELDTRIAL2.glob("*.expected.json") if not p.with_name(p.name[:-14] + ".eml").exists()
    ]


def test_sources_recall_and_precision(figs: Figures) -> None:
    assert figs.recall >= 0.95
    assert figs.recall_per_report >= 0.95
    assert figs.precision >= 0.90


def test_times(figs: Figures) -> None:
    assert figs.time_accuracy >= 0.95


def test_junk_is_never_a_report_and_reports_never_junk(scores: list[SampleScore]) -> None:
    wrong = [s.name for s in scores if not s.verdict_ok]
    assert wrong == []


def test_categories_and_formats(figs: Figures) -> None:
    assert figs.category_accuracy >= 0.85
    assert figs.format_accuracy >= 0.95
