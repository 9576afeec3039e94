"""Desk decisions as typed records on both databases, with and without a rerun."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from paths import DATA as TEST_DATA
from sqlalchemy import select

from abusebox.core.config import Settings
from abusebox.core.models import DeskDecision, RawMessage
from abusebox.core.reasons import Reason
from abusebox.desk import reclassify as desk
from abusebox.desk.reclassify import Reclassification
from abusebox.pipeline.analyze import analyze
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store import messages as message_store
from abusebox.store.db import Database
from abusebox.store.messages import MessageSummary
from abusebox.store.schema import ReportRow

DATA = TEST_DATA / "triage"


@pytest.fixture
def pipeline(db: Database, settings: Settings) -> Iterator[Pipeline]:
    with AnalyzerPool(settings, processes=1) as pool:
        yield Pipeline(settings, db, pool)


def ingest(pipeline: Pipeline, name: str) -> int:
    result = next(iter(pipeline.ingest([RawMessage((DATA / name).read_bytes(), "test", name)])))
    assert result.outcome == "processed" and result.message_pk is not None, result
    return result.message_pk


def reclassify(pipeline: Pipeline, pk: int, verdict: str, actor: str) -> Reclassification:
    """One decision, in its own transaction (as the CLI and the web UI make it)."""
    with pipeline.db.session() as session:
        return desk.reclassify(session, pipeline, pk, verdict, actor)


def report_reasons(db: Database, pk: int) -> list[Reason]:
    with db.session() as session:
        return message_store.report_reasons(session, pk)


def list_messages(db: Database, verdict: str) -> list[MessageSummary]:
    with db.session() as session:
        return message_store.list_messages(session, verdict=verdict)


def recorded(db: Database, pk: int) -> tuple[str, str, str | None]:
    """(verdict, verdict_by, triage_verdict) as stored on the report."""
    with db.session() as session:
        row = session.execute(
            select(ReportRow.verdict, ReportRow.verdict_by, ReportRow.triage_verdict).where(
                ReportRow.message_pk == pk
            )
        ).one()
    return row.verdict, row.verdict_by, row.triage_verdict


def test_triage_records_its_own_verdict(db: Database, settings: Settings, pipeline: Pipeline) -> None:
    pk = ingest(pipeline, "spam_with_address.eml")
    assert recorded(db, pk) == ("spam", "triage", "spam")
    alone = analyze((DATA / "spam_with_address.eml").read_bytes(), settings)
    reasons = report_reasons(db, pk)
    assert reasons == [*alone.triage.reasons, *alone.extraction.reasons]
    assert reasons[0].rule == "verdict" and not any(r.stage == DeskDecision.STAGE for r in reasons)


def test_a_decision_with_a_rerun_records_the_new_triage_verdict(
    db: Database, settings: Settings, pipeline: Pipeline
) -> None:
    pk = ingest(pipeline, "spam_with_address.eml")
    triaged = report_reasons(db, pk)
    result = reclassify(pipeline, pk, "report", "alice")  # to report: a rerun
    assert result.outcome == "processed" and result.incidents
    assert recorded(db, pk) == ("report", "alice", "spam")
    reasons = report_reasons(db, pk)
    assert reasons[0] == Reason("desk", None, None, "desk decision by alice: report (triage said spam)")
    assert reasons[1:] == triaged  # the rerun's triage and extraction reasons, unchanged
    # A plain replay keeps the decision, re-records triage's verdict and does not stack lines.
    list(pipeline.replay([pk]))
    assert recorded(db, pk) == ("report", "alice", "spam")
    again = report_reasons(db, pk)  # triage now also knows alice's decision
    assert again[0] == reasons[0] and [r.stage for r in again].count(DeskDecision.STAGE) == 1
    assert again[1].rule == "verdict" and again[1].text.startswith("spam: score")


def test_a_decision_without_a_rerun_replaces_the_earlier_one(
    db: Database, settings: Settings, pipeline: Pipeline
) -> None:
    pk = ingest(pipeline, "report_ssh_ja.eml")
    triaged = report_reasons(db, pk)
    reclassify(pipeline, pk, "spam", "bob")  # away from report: no rerun
    assert recorded(db, pk) == ("spam", "bob", "report")
    assert report_reasons(db, pk) == [
        Reason("desk", None, None, "desk decision by bob: spam (triage said report)"),
        *triaged,
    ]
    reclassify(pipeline, pk, "non_incident", "carol")
    assert recorded(db, pk) == ("non_incident", "carol", "report")
    assert report_reasons(db, pk) == [
        Reason("desk", None, None, "desk decision by carol: non_incident (triage said report)"),
        *triaged,
    ]


def test_no_decision_is_taken_from_the_text_of_a_reason(
    db: Database, settings: Settings, pipeline: Pipeline
) -> None:
    """Reason texts that would mislead a reader of text change nothing: the record decides."""
    pk = ingest(pipeline, "report_ssh_ja.eml")
    lookalike = Reason("triage", "spam_vocabulary", 0.0, "desk decision by mallory: spam (triage said spam)")
    with db.session() as session:
        row = session.scalar(select(ReportRow).where(ReportRow.message_pk == pk))
        assert row is not None and row.triage_verdict == "report"
        summary, *rest = row.reasons
        row.reasons = [
            replace_text(summary, "spam: score +9.0 reaches the spam threshold 5"),
            lookalike,
            *rest,
        ]
        row.category = "intrusion-attempt"
    reclassify(pipeline, pk, "report", "dave")  # report -> report: no rerun
    reasons = report_reasons(db, pk)
    assert reasons[0].text == "desk decision by dave: report (triage said report)"  # not "spam"
    assert lookalike in reasons  # triage's reason, kept whatever its text says
    (shown,) = [m for m in list_messages(db, verdict="report") if m.pk == pk]
    assert shown.category == "intrusion-attempt"  # triage's recorded verdict agreed: category kept
    assert recorded(db, pk) == ("report", "dave", "report")


def replace_text(reason: Reason, text: str) -> Reason:
    return Reason(reason.stage, reason.rule, reason.score, text, reason.detail)


def test_messages_show_json_gives_texts_and_details(
    db: Database, settings: Settings, pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from abusebox.cli import main

    pk = ingest(pipeline, "spam_with_address.eml")
    reclassify(pipeline, pk, "non_incident", "erin")
    reasons = report_reasons(db, pk)
    config = Path(settings.path)
    config.write_text(f'[database]\nurl = "{db.url}"\n')
    assert main(["messages", "show", str(pk), "--json", "--config", str(config)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reasons"] == [str(r) for r in reasons]
    assert data["reasons"][0] == "desk decision by erin: non_incident (triage said spam)"
    assert any(r.rule and r.score for r in reasons)  # so the suffix "[rule +1.5]" is in the texts
    assert [Reason.from_json(item) for item in data["reason_details"]] == reasons
    assert main(["messages", "show", str(pk), "--config", str(config)]) == 0
    human = capsys.readouterr().out
    assert "reasons:\n" + "".join(f"  - {r}\n" for r in reasons) in human
