"""Lifecycle: transitions, rejection reasons, closing record, reopen, auto-resolve, merge/split."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from incident_helpers import add_report
from sqlalchemy import select

from abusebox.core.config import ConstituencyNetwork, Settings
from abusebox.core.models import Observation
from abusebox.incidents import handling, lifecycle
from abusebox.incidents.grouping import Grouper
from abusebox.store import incidents as incident_store
from abusebox.store.db import Database
from abusebox.store.incidents import IncidentDetail
from abusebox.store.schema import IncidentRow, ObservationRow

T0 = datetime(2026, 11, 1, tzinfo=UTC)
SETTINGS = Settings(constituency=[ConstituencyNetwork("203.0.113.0/24", "lab")])


def _ingest(
    db: Database, ip: str, day: float, category: str = "scan", settings: Settings = SETTINGS
) -> list[int]:
    with db.session() as session:
        stored = add_report(
            session, [Observation(ip=ip, time=T0 + timedelta(days=day), category=category)], received=T0
        )
        return Grouper(settings).group_report(session, stored, None, now=T0)


def get_incident(db: Database, pk: int) -> IncidentDetail | None:
    with db.session() as session:
        return incident_store.get_incident(session, pk)


def _actions(db: Database, pk: int) -> list[str]:
    detail = get_incident(db, pk)
    assert detail is not None
    return [e.action for e in detail.events]


def test_five_steps_with_work_log(db: Database) -> None:
    (pk,) = _ingest(db, "192.0.2.1", 0)
    for state in ("triage", "contacting", "recovering", "resolved"):
        lifecycle.set_state(db, pk, state, "alice", note=f"to {state}")
    detail = get_incident(db, pk)
    assert detail is not None and detail.state == "resolved"
    changes = [e for e in detail.events if e.action == "state"]
    assert [(e.detail["from"], e.detail["to"]) for e in changes] == [
        ("new", "triage"),
        ("triage", "contacting"),
        ("contacting", "recovering"),
        ("recovering", "resolved"),
    ]
    assert all(e.actor == "alice" and e.detail["note"] for e in changes)


def test_invalid_transition_is_refused_with_a_clear_message(db: Database) -> None:
    (pk,) = _ingest(db, "192.0.2.1", 0)
    with pytest.raises(lifecycle.LifecycleError, match="cannot go from new to recovering"):
        lifecycle.set_state(db, pk, "recovering", "alice")
    with pytest.raises(lifecycle.LifecycleError, match="needs --reason"):
        lifecycle.set_state(db, pk, "rejected", "alice")
    assert _actions(db, pk) == ["created", "grouped"]  # nothing written on refusal
    lifecycle.set_state(db, pk, "rejected", "alice", reason="false-positive", note="our own scanner")
    detail = get_incident(db, pk)
    assert detail is not None and detail.state == "rejected"
    assert detail.resolution == "rejected: false-positive: our own scanner"


def test_closing_record_required_for_our_constituency(db: Database) -> None:
    (ours,) = _ingest(db, "203.0.113.7", 0)
    (external,) = _ingest(db, "192.0.2.1", 0)
    for pk in (ours, external):
        lifecycle.set_state(db, pk, "triage", "bob")
    with pytest.raises(
        lifecycle.LifecycleError, match="missing: --cause, --recovery, --prevention, --lessons"
    ):
        lifecycle.set_state(db, ours, "resolved", "bob", note="done")
    partial = lifecycle.ClosingRecord(cause="vulnerability", recovery="patched")
    with pytest.raises(lifecycle.LifecycleError, match="missing: --prevention, --lessons"):
        lifecycle.set_state(db, ours, "resolved", "bob", note="done", record=partial)
    with pytest.raises(lifecycle.LifecycleError, match="cause must be one of"):
        lifecycle.set_state(db, ours, "resolved", "bob", record=lifecycle.ClosingRecord(cause="aliens"))
    full = lifecycle.ClosingRecord("vulnerability", "patched sshd", "fail2ban on all hosts", "inventory gaps")
    lifecycle.set_state(db, ours, "resolved", "bob", note="done", record=full)
    lifecycle.set_state(db, external, "resolved", "bob", note="forwarded, closed")  # optional there
    detail = get_incident(db, ours)
    assert detail is not None and detail.ours and detail.owner == "lab"
    assert detail.cause == "vulnerability" and detail.lessons == "inventory gaps"


def test_new_observation_reopens_resolved_incident_within_window(db: Database) -> None:
    (pk,) = _ingest(db, "192.0.2.1", 0)
    lifecycle.set_state(db, pk, "triage", "alice")
    lifecycle.set_state(db, pk, "resolved", "alice", note="blocked")
    assert _ingest(db, "192.0.2.1", 3) == [pk]
    detail = get_incident(db, pk)
    assert detail is not None and detail.state == "triage"
    reopened = [e for e in detail.events if e.action == "reopened"]
    assert len(reopened) == 1 and reopened[0].actor == "abusebox"
    # Outside the window a new incident starts instead.
    (other,) = _ingest(db, "192.0.2.1", 30)
    assert other != pk


def test_auto_resolve_after_quiet_period(db: Database) -> None:
    (quiet,) = _ingest(db, "192.0.2.1", 0)
    (busy,) = _ingest(db, "192.0.2.2", 40)
    settings = replace(SETTINGS, lifecycle=replace(SETTINGS.lifecycle, auto_resolve_quiet_days=30))
    with db.session() as session:  # handled long ago
        for row in session.scalars(select(IncidentRow)):
            row.last_activity_at = T0
    done = lifecycle.auto_resolve(settings, db, now=T0 + timedelta(days=45))
    assert done == [quiet]
    assert "auto-resolved" in _actions(db, quiet)
    busy_detail = get_incident(db, busy)
    assert busy_detail is not None and busy_detail.state == "new"


def test_assign_is_logged(db: Database) -> None:
    (pk,) = _ingest(db, "192.0.2.1", 0)
    lifecycle.assign(db, pk, "carol", "alice")
    detail = get_incident(db, pk)
    assert detail is not None and detail.assignee == "carol"
    assert detail.events[-1].action == "assigned" and detail.events[-1].actor == "alice"


def test_merge_and_unmerge(db: Database) -> None:
    (a,) = _ingest(db, "192.0.2.1", 0)
    (b,) = _ingest(db, "192.0.2.2", 0)
    _ingest(db, "192.0.2.2", 1)
    handling.merge(db, a, [b], "alice")
    da, db_ = get_incident(db, a), get_incident(db, b)
    assert da is not None and db_ is not None
    assert da.observation_count == 3 and da.report_count == 3
    assert db_.merged_into == a and db_.observation_count == 0
    assert sorted(da.sources) == ["192.0.2.1", "192.0.2.2"]
    # A new observation of the merged key joins the target, and stays there on unmerge.
    assert _ingest(db, "192.0.2.2", 2) == [a]
    with pytest.raises(handling.HandlingError):
        handling.merge(db, a, [b], "alice")
    assert handling.unmerge(db, b, "alice") == a
    da, db_ = get_incident(db, a), get_incident(db, b)
    assert da is not None and db_ is not None
    assert (da.observation_count, db_.observation_count) == (2, 2)
    assert db_.merged_into is None
    assert "merged" in _actions(db, a) and "unmerged" in _actions(db, a) and "unmerged" in _actions(db, b)


def test_split_and_unsplit(db: Database) -> None:
    (pk,) = _ingest(db, "192.0.2.1", 0)
    _ingest(db, "192.0.2.1", 1)
    _ingest(db, "192.0.2.1", 2)
    with db.session() as session:
        obs = list(
            session.scalars(
                select(ObservationRow.id).where(ObservationRow.incident_pk == pk).order_by(ObservationRow.id)
            )
        )
    with pytest.raises(handling.HandlingError, match="leave the incident empty"):
        handling.split(db, pk, obs, "alice")
    with pytest.raises(handling.HandlingError, match="do not belong"):
        handling.split(db, pk, [obs[0], 999999], "alice")
    new = handling.split(db, pk, obs[1:], "alice")
    original, split_off = get_incident(db, pk), get_incident(db, new)
    assert original is not None and split_off is not None
    assert (original.observation_count, split_off.observation_count) == (1, 2)
    assert split_off.first_seen == T0 + timedelta(days=1)
    assert [o.pk for o in split_off.observations] == obs[1:]
    assert handling.unsplit(db, new, "alice") == pk
    original, split_off = get_incident(db, pk), get_incident(db, new)
    assert original is not None and split_off is not None
    assert original.observation_count == 3 and split_off.merged_into == pk
    assert _actions(db, pk).count("unsplit") == 1
    with pytest.raises(lifecycle.LifecycleError, match="was merged into"):
        lifecycle.set_state(db, new, "triage", "alice")


def test_merge_escalates_volume_and_keeps_every_abuse_contact(db: Database) -> None:
    settings = replace(SETTINGS, lifecycle=replace(SETTINGS.lifecycle, high_priority_reports=3))
    (a,) = _ingest(db, "192.0.2.1", 0, "brute-force", settings)
    (b,) = _ingest(db, "192.0.2.2", 0, "brute-force", settings)
    _ingest(db, "192.0.2.2", 1, "brute-force", settings)
    with db.session() as session:
        row_b = session.get(IncidentRow, b)
        assert row_b is not None
        row_b.network, row_b.asn, row_b.abuse_contacts = "192.0.2.0/25", 64500, ["abuse@b.example"]
    handling.merge(db, a, [b], "alice", settings.lifecycle)
    with db.session() as session:
        row_a = session.get(IncidentRow, a)
        assert row_a is not None
        assert (row_a.report_count, row_a.priority) == (3, "high")
        assert (row_a.network, row_a.abuse_contacts) == ("192.0.2.0/25", ["abuse@b.example"])
        assert [e.action for e in row_a.events][-1] == "escalated"


def test_unmerge_fetches_observations_back_through_a_merge_chain(db: Database) -> None:
    (a,) = _ingest(db, "192.0.2.1", 0)
    (b,) = _ingest(db, "192.0.2.2", 0)
    (c,) = _ingest(db, "192.0.2.3", 0)
    handling.merge(db, b, [a], "alice")  # a -> b
    handling.merge(db, c, [b], "alice")  # b (holding a's observation) -> c
    assert handling.unmerge(db, a, "alice") == b
    da, dc = get_incident(db, a), get_incident(db, c)
    assert da is not None and dc is not None
    assert (da.observation_count, da.sources) == (1, ["192.0.2.1"])
    assert dc.observation_count == 2 and "192.0.2.1" not in dc.sources
