"""The desk classifier on its own, without a database."""

from __future__ import annotations

from dataclasses import replace

from paths import DATA as TEST_DATA

from abusebox.core.config import Settings
from abusebox.pipeline.analyze import analyze
from abusebox.triage.classifier import NaiveBayes, tokens
from abusebox.triage.signals import LearnedSignals
from abusebox.triage.text import normalise

DATA = TEST_DATA / "triage"


def test_classifier_tokens_handle_japanese_without_a_segmenter() -> None:
    toks = tokens(normalise("ＦＸで副業 Bitcoin 投資"))
    assert {"fx", "bitcoin", "副業", "投資"} <= toks or {"副業", "投資", "bitcoin"} <= toks
    model = NaiveBayes.train(
        [
            (tokens("副業で高収入"), "spam"),
            (tokens("副業 在宅"), "spam"),
            (tokens("不正アクセスのログ"), "report"),
        ]
    )
    probs = model.predict(tokens("高収入の副業"))
    assert probs["spam"] > 0.8
    assert model.explain(tokens("高収入の副業"), "spam", "report")


def test_the_desk_classifier_stays_silent_without_both_reports_and_junk() -> None:
    settings = replace(Settings(), triage=replace(Settings().triage, classifier_min_examples=4))
    raw = (DATA / "report_ssh_ja.eml").read_bytes()
    for labels in (["spam"] * 4, ["spam", "non_incident"] * 2, ["report"] * 4):
        model = NaiveBayes.train([(tokens(f"offer number {i}"), label) for i, label in enumerate(labels)])
        learned = LearnedSignals(classifier=model, examples=model.examples)
        a = analyze(raw, settings, learned)
        assert a.verdict == "report", a.triage.reasons
        assert not any("desk-trained classifier" in str(r) for r in a.triage.reasons), (
            labels,
            a.triage.reasons,
        )
    # With both kinds it does speak (the same report, now with junk and report examples).
    mixed = ["spam", "spam", "report", "report"]
    model = NaiveBayes.train([(tokens(f"offer number {i}"), label) for i, label in enumerate(mixed)])
    a = analyze(raw, settings, LearnedSignals(classifier=model, examples=model.examples))
    assert any("desk-trained classifier" in r.text for r in a.triage.reasons), a.triage.reasons
