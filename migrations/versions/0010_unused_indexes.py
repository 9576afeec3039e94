"""drop four indexes no query uses: every insert into their tables paid to keep them

- ``ix_incidents_open_key`` (group_key, category, state) and ``ix_incidents_key_seen``
  (group_key, category, last_seen): grouping finds its candidates by
  ``ix_incidents_key_window`` (group_key, category, window_end) since migration 0008;
- ``ix_incidents_state`` (state): every query by state is served by
  ``ix_incidents_state_last_seen`` (state, last_seen), whose first column it is;
- ``ix_observations_group`` (group_key, category): observations are read by incident,
  report, address or time, never by group key.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROPPED = (
    ("ix_incidents_open_key", "incidents", ["group_key", "category", "state"]),
    ("ix_incidents_key_seen", "incidents", ["group_key", "category", "last_seen"]),
    ("ix_incidents_state", "incidents", ["state"]),
    ("ix_observations_group", "observations", ["group_key", "category"]),
)


def upgrade() -> None:
    for name, table, _columns in _DROPPED:
        op.drop_index(name, table)


def downgrade() -> None:
    for name, table, columns in _DROPPED:
        op.create_index(name, table, columns)
