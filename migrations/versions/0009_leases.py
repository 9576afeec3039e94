"""leases: which worker holds a stored `new` message, and until when (abusebox run --role worker)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(200)))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    # recreate="never": SQLite drops the columns in place, so the desk tally triggers of
    # migration 0007 on messages survive a downgrade.
    with op.batch_alter_table("messages", recreate="never") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
