"""A handler's structural changes: merge and split, each recorded and reversible.

Merging moves every observation of the merged incidents into the target and marks them
``merged_into``; unmerging moves back exactly the observations the merge moved (those
that arrived later stay). Splitting moves chosen observations into a new incident;
unsplitting moves them back and retires the split-off incident (merged into the original).
The observation ids moved are kept in the event detail: the log is the undo record.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from abusebox.core.config import LifecycleSettings
from abusebox.core.errors import AbuseboxError
from abusebox.incidents import priority
from abusebox.store import handling as store
from abusebox.store.base import utcnow
from abusebox.store.db import Database
from abusebox.store.incidents import add_event, incident_row, recount
from abusebox.store.schema import IncidentRow


class HandlingError(AbuseboxError):
    """A refused merge or split, with a message fit for the handler."""


def _live(session: Session, pk: int) -> IncidentRow:
    row = incident_row(session, pk)
    if row is None:
        raise HandlingError(f"no incident {pk}")
    if row.merged_into_pk is not None:
        raise HandlingError(f"incident {pk} is merged into {row.merged_into_pk}")
    return row


def _refresh(session: Session, *rows: IncidentRow) -> None:
    for row in rows:
        row.last_activity_at = utcnow()
        recount(session, row.id)
    session.flush()
    for row in rows:
        session.refresh(row)


def merge(
    db: Database, target_pk: int, source_pks: list[int], actor: str, settings: LifecycleSettings | None = None
) -> None:
    """Fold ``source_pks`` into ``target_pk``; with ``settings``, the merged volume may escalate it.

    The target also gains the abuse contacts of the merged incidents (and their network
    facts when it has none), so folding never loses whom to notify.
    """
    if not source_pks or target_pk in source_pks or len(set(source_pks)) != len(source_pks):
        raise HandlingError("merge needs a target and one or more other, distinct incidents")
    with db.session() as session:
        target = _live(session, target_pk)
        for pk in source_pks:
            source = _live(session, pk)
            moved = store.move_observations(session, store.observation_pks(session, pk), pk, target_pk)
            source.merged_into_pk = target_pk
            add_event(session, target_pk, actor, "merged", {"from": pk, "observations": moved})
            add_event(session, pk, actor, "merged_into", {"into": target_pk, "observations": moved})
            _adopt_enrichment(target, source)
            _refresh(session, source)
        _refresh(session, target)
        if settings is not None:
            priority.escalate(session, target, settings)


def _adopt_enrichment(target: IncidentRow, source: IncidentRow) -> None:
    if target.network is None and source.network is not None:
        for name in ("network", "network_name", "asn", "country"):
            setattr(target, name, getattr(source, name))
    target.abuse_contacts = list(
        dict.fromkeys([*(target.abuse_contacts or []), *(source.abuse_contacts or [])])
    )


def unmerge(db: Database, pk: int, actor: str) -> int:
    """Undo the merge of ``pk``; return the incident it had been merged into."""
    with db.session() as session:
        source = incident_row(session, pk)
        if source is None or source.merged_into_pk is None:
            raise HandlingError(f"incident {pk} is not merged into another")
        event = store.last_event(session, pk, "merged_into")
        if event is None:
            raise HandlingError(f"incident {pk}: no merge recorded to undo")
        target_pk = source.merged_into_pk
        target = incident_row(session, target_pk)
        assert target is not None
        # The target may itself have been merged on since: fetch the observations back
        # from wherever along that chain they now are.
        wanted = list(event.detail.get("observations", []))
        back: list[int] = []
        holder: IncidentRow | None = target
        for _hop in range(20):  # merge chains are short; the bound guards against a cycle
            if holder is None:
                break
            back += store.move_observations(session, wanted, holder.id, pk)
            if holder.merged_into_pk is None:
                break
            holder = incident_row(session, holder.merged_into_pk)
        back.sort()
        source.merged_into_pk = None
        add_event(session, pk, actor, "unmerged", {"from": target_pk, "observations": back})
        add_event(session, target_pk, actor, "unmerged", {"restored": pk, "observations": back})
        _refresh(session, source, target)
        if holder is not None and holder.id != target_pk:
            _refresh(session, holder)
        return target_pk


def split(db: Database, pk: int, observation_pks: list[int], actor: str) -> int:
    """Move the given observations of ``pk`` into a new incident; return its pk."""
    wanted = sorted(set(observation_pks))
    with db.session() as session:
        original = _live(session, pk)
        present = set(store.observation_pks(session, pk))
        foreign = [o for o in wanted if o not in present]
        if not wanted or foreign:
            raise HandlingError(f"observations {foreign or wanted} do not belong to incident {pk}")
        if len(wanted) == len(present):
            raise HandlingError("splitting out every observation would leave the incident empty")
        new = store.copy_incident(session, original)
        moved = store.move_observations(session, wanted, pk, new.id)
        add_event(session, pk, actor, "split", {"to": new.id, "observations": moved})
        add_event(session, new.id, actor, "split_from", {"from": pk, "observations": moved})
        _refresh(session, original, new)
        return new.id


def unsplit(db: Database, pk: int, actor: str) -> int:
    """Move a split-off incident's observations back; return the original's pk."""
    with db.session() as session:
        new = _live(session, pk)
        event = store.last_event(session, pk, "split_from")
        if event is None:
            raise HandlingError(f"incident {pk} was not split off another")
        original = _live(session, int(event.detail["from"]))
        back = store.move_observations(session, list(event.detail.get("observations", [])), pk, original.id)
        new.merged_into_pk = original.id
        add_event(session, pk, actor, "unsplit", {"into": original.id, "observations": back})
        add_event(session, original.id, actor, "unsplit", {"restored_from": pk, "observations": back})
        _refresh(session, original, new)
        return original.id
