"""web: users, API token hashes, the audit log, and the indexes the desk's pages need

Revision ID: 0006
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("language", sa.String(8)),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_pk", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_api_tokens_user_pk", "api_tokens", ["user_pk"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(300)),
        sa.Column("address", sa.String(64)),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    # The queue: incidents by state, most recently seen first (observations.ip is indexed already).
    op.create_index("ix_incidents_state_last_seen", "incidents", ["state", "last_seen"])
    op.create_index("ix_incidents_report_count", "incidents", ["report_count"])
    if op.get_bind().dialect.name == "postgresql":
        # CIDR search (``ip::inet <<= cidr``) over every observation: a GiST index on the cast.
        op.execute("CREATE INDEX ix_observations_ip_inet ON observations USING gist ((ip::inet) inet_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_observations_ip_inet")
    op.drop_index("ix_incidents_report_count", "incidents")
    op.drop_index("ix_incidents_state_last_seen", "incidents")
    op.drop_table("audit_log")
    op.drop_table("api_tokens")
    op.drop_table("users")
