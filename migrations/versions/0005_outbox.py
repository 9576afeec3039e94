"""outbox: every outgoing mail as a row, and what each digest recipient has been sent

``outbox`` holds acknowledgements, notifications, forwards, digests and alerts with
their exact bytes (a stable Message-ID chosen at creation), status and delivery
bookkeeping. ``digest_marks`` remembers, per digest recipient, which observations
were already included, so nothing is ever sent twice.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("recipients", sa.JSON, nullable=False),
        sa.Column("envelope_from", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False, unique=True),
        sa.Column("language", sa.String(10)),
        sa.Column("rule", sa.String(200)),
        sa.Column("cap_key", sa.String(320), index=True),
        sa.Column(
            "answers_message_pk",
            sa.Integer,
            sa.ForeignKey("messages.id", ondelete="SET NULL"),
            index=True,
        ),
        sa.Column("incidents", sa.JSON, nullable=False),
        sa.Column("reports", sa.JSON, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("interrupted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("sending_at", sa.DateTime(timezone=True)),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "digest_marks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column(
            "observation_pk",
            sa.Integer,
            sa.ForeignKey("observations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("outbox_pk", sa.Integer, sa.ForeignKey("outbox.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("recipient", "observation_pk"),
    )


def downgrade() -> None:
    op.drop_table("digest_marks")
    op.drop_table("outbox")
