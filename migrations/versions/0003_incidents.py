"""incidents: archivable raw messages, grouping and retention indexes

Raw bytes become nullable so the retention job can archive (or prune) them while the
message row stays as the sha256 ledger entry. Two indexes serve grouping (open incident
by key, category and last seen) and retention (messages by arrival time).

Revision ID: 0003
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("raw", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.create_index("ix_messages_received_at", ["received_at"], unique=False)
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_key_seen", ["group_key", "category", "last_seen"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_key_seen")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_received_at")
        batch_op.alter_column("raw", existing_type=sa.LargeBinary(), nullable=False)
