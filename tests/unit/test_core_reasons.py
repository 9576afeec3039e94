"""Reason values and desk decisions: validation, display, JSON, and what producers record."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from paths import DATA as TEST_DATA

from abusebox.core.config import LimitSettings, Settings, TriageSettings
from abusebox.core.models import DeskDecision, TriageResult
from abusebox.core.reasons import Reason, reasons_from_json, reasons_to_json
from abusebox.extract.formats.tables import open_table
from abusebox.parsing.archives import DecodeBudget, expand
from abusebox.pipeline.analyze import analyze
from abusebox.triage.override import desk_result, redecided

TRIAGE = TEST_DATA / "triage"


def test_a_scored_rule_hit_displays_with_its_rule_and_weight() -> None:
    assert str(Reason("triage", "bulk", 1.5, "Precedence: bulk")) == "Precedence: bulk [bulk +1.5]"
    assert Reason("triage", "known_feed", -2.25, "a feed").display() == "a feed [known_feed -2.2]"
    assert str(Reason("triage", "bulk", 0.0, "silenced")) == "silenced [bulk ±0]"
    assert (
        str(Reason("triage", "verdict", None, "spam: score +5.0 reaches ..."))
        == "spam: score +5.0 reaches ..."
    )
    assert str(Reason("extract", "xarf", None, "X-ARF report: Source 'x' is not an address")) == (
        "X-ARF report: Source 'x' is not an address"
    )
    assert (
        str(Reason("parse", None, None, "part a.bin: too big", detail="Traceback ..."))
        == "part a.bin: too big"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("", None, None, "text"),
        ("  ", None, None, "text"),
        ("triage", "", None, "text"),
        ("triage", None, None, ""),
        ("triage", "bulk", math.nan, "text"),
        ("triage", "bulk", math.inf, "text"),
        ("triage", "bulk", -math.inf, "text"),
        ("triage", "bulk", True, "text"),
        ("triage", "bulk", "1.5", "text"),
    ],
)
def test_invalid_reasons_are_refused(args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        Reason(*args)  # type: ignore[arg-type]


def test_an_integer_score_is_kept_as_a_float() -> None:
    reason = Reason("triage", "bulk", 2, "x")
    assert isinstance(reason.score, float) and reason.score == 2.0


def test_from_json_refuses_what_to_json_cannot_give() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        Reason.from_json("spam: score +5.0")  # type: ignore[arg-type]  # the old stored form
    with pytest.raises(ValueError, match="unknown reason keys: weight"):
        Reason.from_json({"stage": "triage", "text": "x", "weight": 1})
    with pytest.raises(ValueError, match="needs a stage and a text"):
        Reason.from_json({"stage": "triage"})
    with pytest.raises(ValueError, match="finite"):
        Reason.from_json({"stage": "triage", "rule": "x", "score": math.nan, "text": "x"})


texts = st.text(min_size=1)
reasons = st.builds(
    Reason,
    stage=st.text(min_size=1).filter(str.strip),
    rule=st.none() | st.text(min_size=1).filter(str.strip),
    score=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    text=texts,
    detail=st.none() | st.text(),
)


@given(st.lists(reasons))
def test_reasons_round_trip_through_json_text(values: list[Reason]) -> None:
    stored = json.loads(json.dumps(reasons_to_json(values)))
    assert reasons_from_json(stored) == values
    assert all(set(item) == {"stage", "rule", "score", "text", "detail"} for item in stored)


def test_triage_records_the_verdict_then_each_rule_with_its_weighted_score() -> None:
    raw = (TRIAGE / "list_digest.eml").read_bytes()
    plain = analyze(raw, Settings()).triage
    quarter = analyze(raw, replace(Settings(), triage=TriageSettings(weights={"bulk": 0.25}))).triage
    summary, *hits = quarter.reasons
    assert (summary.stage, summary.rule, summary.score) == ("triage", "verdict", None)
    assert summary.text.startswith(f"{quarter.verdict.replace('_', '-')}: score {quarter.score:+.1f}")
    assert hits and all(h.stage == "triage" and h.rule and h.score is not None for h in hits)
    assert sum(h.score or 0.0 for h in hits) == pytest.approx(quarter.score)
    (full,) = [r for r in plain.reasons if r.rule == "bulk"]
    (weighted,) = [r for r in quarter.reasons if r.rule == "bulk"]
    assert full.score is not None and weighted.score == pytest.approx(full.score * 0.25, abs=1e-3)
    assert weighted.text == full.text  # the sentence is the rule's; the weight is in score


def test_extraction_reasons_name_their_stage_and_parser() -> None:
    reasons: list[Reason] = []
    limits = LimitSettings(max_table_rows=2)
    table = open_table(
        "feed.csv", "ip,time\n192.0.2.1,x\n192.0.2.2,x\n192.0.2.3,x\n", limits, reasons, parser="csv"
    )
    assert table is not None and len(list(table.rows)) == 2
    assert reasons == [
        Reason("extract", "csv", None, "table feed.csv: more than 2 rows; rest skipped (max_table_rows)")
    ]
    budget = DecodeBudget(LimitSettings())
    expand("broken.zip", b"PK\x03\x04 not really a zip", budget)
    (skipped,) = budget.reasons
    assert (skipped.stage, skipped.rule) == ("parse", "archive")
    assert skipped.text.startswith("archive broken.zip: not a readable zip")


def test_a_desk_decision_is_typed_and_leads_the_reasons() -> None:
    triaged = TriageResult(
        "spam",
        5.0,
        [
            Reason("triage", "verdict", None, "spam: score +5.0 reaches the spam threshold 5"),
            Reason("triage", "bulk", 5.0, "b"),
        ],
        None,
    )
    decided = desk_result(triaged, "report", "alice")
    assert decided.desk == DeskDecision("report", "alice", "spam")
    assert (decided.verdict, decided.decided_by, decided.triage_verdict) == ("report", "alice", "spam")
    assert decided.reasons == [
        Reason("desk", None, None, "desk decision by alice: report (triage said spam)"),
        *triaged.reasons,
    ]
    assert desk_result(decided, "non_incident", "bob") is decided  # one decision per analysis
    assert (triaged.decided_by, triaged.triage_verdict) == ("triage", "spam")


def test_a_new_decision_replaces_the_reason_of_the_earlier_one_by_stage_not_text() -> None:
    # A triage reason whose sentence happens to read like a desk line stays: it is triage's.
    lookalike = Reason(
        "triage", "spam_vocabulary", 1.0, "desk decision by mallory: report (triage said report)"
    )
    stored = [
        Reason("desk", None, None, "desk decision by alice: report (triage said spam)"),
        Reason("triage", "verdict", None, "report: score ..."),  # text disagrees with the record
        lookalike,
    ]
    reasons, category = redecided(stored, "fraud", DeskDecision("non_incident", "bob", "non_incident"))
    assert reasons == [
        Reason("desk", None, None, "desk decision by bob: non_incident (triage said non_incident)"),
        stored[1],
        lookalike,
    ]
    assert category == "fraud"  # triage's own verdict (the record, not the summary text) agreed
    _, dropped = redecided(stored, "fraud", DeskDecision("spam", "bob", "non_incident"))
    assert dropped is None
    unknown = DeskDecision("spam", "carol", None)  # an old report whose summary was unreadable
    assert unknown.reason().text == "desk decision by carol: spam (triage said nothing)"


@pytest.mark.parametrize(
    "args",
    [
        ("maybe", "alice", "spam"),
        ("spam", "alice", "maybe"),
        ("spam", " ", "report"),
        ("spam", "triage", "report"),
    ],
)
def test_invalid_desk_decisions_are_refused(args: tuple[str, str, str]) -> None:
    with pytest.raises(ValueError):
        DeskDecision(*args)  # type: ignore[arg-type]


def test_a_triage_result_cannot_disagree_with_its_desk_decision() -> None:
    with pytest.raises(ValueError, match="not the desk's"):
        TriageResult("spam", 0.0, [], None, DeskDecision("report", "alice", "spam"))


def test_the_parse_contract_keeps_reasons_as_the_displayed_strings() -> None:
    analysis = analyze((TRIAGE / "spam_pharmacy.eml").read_bytes(), Settings())
    spam = analysis.contract()["spam"]
    assert isinstance(spam, dict) and set(spam) == {"score", "reasons"}
    assert spam["reasons"] == [str(r) for r in analysis.triage.reasons]
    assert spam["reasons"][0].startswith("spam: score ") and not spam["reasons"][0].endswith("]")
    assert all(
        line.endswith(f"[{r.rule} {r.score:+.1f}]")
        for line, r in zip(spam["reasons"][1:], analysis.triage.reasons[1:], strict=True)
        if r.score
    )
