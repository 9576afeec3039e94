"""time ranges and observed-only seen times: observations.time_end, incidents.window_start/end

An observation's ``time_end`` is the end of a range its report states. An incident's
first_seen/last_seen now come from observed times only (a time-less observation has no
time, and the report's arrival is not one); grouping keeps the span it compares new
observations against, which for time-less ones is their report's arrival, in
``window_start``/``window_end``. Existing incidents: the window is their old first/last
seen, and first/last seen are recomputed from their observations' own times (null when
none has one).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("observations") as batch_op:
        batch_op.add_column(sa.Column("time_end", _TS, nullable=True))
    with op.batch_alter_table("incidents") as batch_op:
        batch_op.add_column(sa.Column("window_start", _TS, nullable=True))
        batch_op.add_column(sa.Column("window_end", _TS, nullable=True))
    op.execute("UPDATE incidents SET window_start = first_seen, window_end = last_seen")
    op.execute(
        "UPDATE incidents SET"
        " first_seen = (SELECT min(o.time) FROM observations o WHERE o.incident_pk = incidents.id),"
        " last_seen = (SELECT max(o.time) FROM observations o WHERE o.incident_pk = incidents.id)"
        " WHERE EXISTS (SELECT 1 FROM observations o WHERE o.incident_pk = incidents.id)"
    )
    op.create_index("ix_incidents_key_window", "incidents", ["group_key", "category", "window_end"])


def downgrade() -> None:
    op.drop_index("ix_incidents_key_window", "incidents")
    op.execute(
        "UPDATE incidents SET first_seen = window_start, last_seen = window_end"
        " WHERE window_start IS NOT NULL"
    )
    # recreate="never": SQLite drops the columns in place (ALTER TABLE ... DROP COLUMN), so the
    # desk tally triggers of migration 0007 on incidents survive a downgrade.
    with op.batch_alter_table("incidents", recreate="never") as batch_op:
        batch_op.drop_column("window_end")
        batch_op.drop_column("window_start")
    with op.batch_alter_table("observations", recreate="never") as batch_op:
        batch_op.drop_column("time_end")
