"""web summary: counts kept by the database for the dashboard and statistics, login failures,
the leader's heartbeat, and a sortable index for CIDR search

``desk_tally_delta`` receives +1/-1 rows from triggers on ``reports`` (per day received,
verdict and category), ``messages`` (per status) and ``incidents`` (live incidents per
month opened, category and state), in the writer's own transaction: no code path can
change a counted column without the count following. ``desk_tally`` holds the folded
sums (store/reporting.py folds the deltas into it at read time). Readers sum both.

``login_failures`` keeps failed sign-ins per user name and per client address so that
throttling holds across processes and restarts; ``leader_heartbeat`` is written by the
scheduler leader so that /healthz can say who leads and how recently it said so.

On PostgreSQL the GiST index on ``ip::inet`` is replaced by a btree on ``(ip::inet,
incident_pk)``: ``<<=`` on a btree becomes a range scan of sorted addresses.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)

_PG_DAY = "to_char(timezone('UTC', {col}), 'YYYY-MM-DD')"
_PG_MONTH = "to_char(timezone('UTC', {col}), 'YYYY-MM')"
_LITE_DAY = "strftime('%Y-%m-%d', {col})"
_LITE_MONTH = "strftime('%Y-%m', {col})"

_PG_FUNCTIONS = """
CREATE FUNCTION desk_tally_reports_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO desk_tally_delta (kind, bucket, a, b, n)
  SELECT 'report', {day}, r.verdict, coalesce(r.category, 'other'), count(*)
  FROM new_rows r JOIN messages m ON m.id = r.message_pk GROUP BY 2, 3, 4;
  RETURN NULL;
END $$;
CREATE FUNCTION desk_tally_reports_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO desk_tally_delta (kind, bucket, a, b, n)
    SELECT 'report', {day}, OLD.verdict, coalesce(OLD.category, 'other'), -1
    FROM messages m WHERE m.id = OLD.message_pk;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    INSERT INTO desk_tally_delta (kind, bucket, a, b, n)
    SELECT 'report', {day}, NEW.verdict, coalesce(NEW.category, 'other'), 1
    FROM messages m WHERE m.id = NEW.message_pk;
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION desk_tally_messages_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO desk_tally_delta (kind, bucket, a, b, n)
  SELECT 'message', '', status, '', count(*) FROM new_rows GROUP BY status;
  RETURN NULL;
END $$;
CREATE FUNCTION desk_tally_messages_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO desk_tally_delta (kind, bucket, a, b, n) VALUES ('message', '', OLD.status, '', -1);
  END IF;
  IF TG_OP = 'UPDATE' THEN
    INSERT INTO desk_tally_delta (kind, bucket, a, b, n) VALUES ('message', '', NEW.status, '', 1);
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION desk_tally_incidents_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO desk_tally_delta (kind, bucket, a, b, n)
  SELECT 'incident', {imonth}, coalesce(category, 'other'), state, count(*)
  FROM new_rows WHERE merged_into_pk IS NULL GROUP BY 2, 3, 4;
  RETURN NULL;
END $$;
CREATE FUNCTION desk_tally_incidents_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.merged_into_pk IS NULL THEN
    INSERT INTO desk_tally_delta (kind, bucket, a, b, n)
    VALUES ('incident', {omonth}, coalesce(OLD.category, 'other'), OLD.state, -1);
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.merged_into_pk IS NULL THEN
    INSERT INTO desk_tally_delta (kind, bucket, a, b, n)
    VALUES ('incident', {nmonth}, coalesce(NEW.category, 'other'), NEW.state, 1);
  END IF;
  RETURN NULL;
END $$;
"""

# Row triggers on update fire only when a counted column changed (the WHEN is checked
# without calling the function, so the queue's frequent updates of incidents cost nothing).
_PG_TRIGGERS = """
CREATE TRIGGER desk_tally_reports_ins AFTER INSERT ON reports
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION desk_tally_reports_ins();
CREATE TRIGGER desk_tally_reports_upd AFTER UPDATE ON reports FOR EACH ROW
  WHEN (OLD.verdict IS DISTINCT FROM NEW.verdict OR OLD.category IS DISTINCT FROM NEW.category
        OR OLD.message_pk IS DISTINCT FROM NEW.message_pk)
  EXECUTE FUNCTION desk_tally_reports_row();
CREATE TRIGGER desk_tally_reports_del AFTER DELETE ON reports FOR EACH ROW
  EXECUTE FUNCTION desk_tally_reports_row();
CREATE TRIGGER desk_tally_messages_ins AFTER INSERT ON messages
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION desk_tally_messages_ins();
CREATE TRIGGER desk_tally_messages_upd AFTER UPDATE ON messages FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION desk_tally_messages_row();
CREATE TRIGGER desk_tally_messages_del AFTER DELETE ON messages FOR EACH ROW
  EXECUTE FUNCTION desk_tally_messages_row();
CREATE TRIGGER desk_tally_incidents_ins AFTER INSERT ON incidents
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION desk_tally_incidents_ins();
CREATE TRIGGER desk_tally_incidents_upd AFTER UPDATE ON incidents FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.category IS DISTINCT FROM NEW.category
        OR OLD.merged_into_pk IS DISTINCT FROM NEW.merged_into_pk
        OR OLD.created_at IS DISTINCT FROM NEW.created_at)
  EXECUTE FUNCTION desk_tally_incidents_row();
CREATE TRIGGER desk_tally_incidents_del AFTER DELETE ON incidents FOR EACH ROW
  EXECUTE FUNCTION desk_tally_incidents_row();
"""

_D = "INSERT INTO desk_tally_delta (kind, bucket, a, b, n)"
_LITE_TRIGGERS = [
    f"""CREATE TRIGGER desk_tally_reports_ins AFTER INSERT ON reports BEGIN
  {_D} SELECT 'report', {_LITE_DAY.format(col="m.received_at")}, NEW.verdict,
    coalesce(NEW.category, 'other'), 1 FROM messages m WHERE m.id = NEW.message_pk; END""",
    f"""CREATE TRIGGER desk_tally_reports_upd AFTER UPDATE ON reports
  WHEN OLD.verdict IS NOT NEW.verdict OR OLD.category IS NOT NEW.category
    OR OLD.message_pk IS NOT NEW.message_pk BEGIN
  {_D} SELECT 'report', {_LITE_DAY.format(col="m.received_at")}, OLD.verdict,
    coalesce(OLD.category, 'other'), -1 FROM messages m WHERE m.id = OLD.message_pk;
  {_D} SELECT 'report', {_LITE_DAY.format(col="m.received_at")}, NEW.verdict,
    coalesce(NEW.category, 'other'), 1 FROM messages m WHERE m.id = NEW.message_pk; END""",
    f"""CREATE TRIGGER desk_tally_reports_del AFTER DELETE ON reports BEGIN
  {_D} SELECT 'report', {_LITE_DAY.format(col="m.received_at")}, OLD.verdict,
    coalesce(OLD.category, 'other'), -1 FROM messages m WHERE m.id = OLD.message_pk; END""",
    f"""CREATE TRIGGER desk_tally_messages_ins AFTER INSERT ON messages BEGIN
  {_D} VALUES ('message', '', NEW.status, '', 1); END""",
    f"""CREATE TRIGGER desk_tally_messages_upd AFTER UPDATE ON messages
  WHEN OLD.status IS NOT NEW.status BEGIN
  {_D} VALUES ('message', '', OLD.status, '', -1);
  {_D} VALUES ('message', '', NEW.status, '', 1); END""",
    f"""CREATE TRIGGER desk_tally_messages_del AFTER DELETE ON messages BEGIN
  {_D} VALUES ('message', '', OLD.status, '', -1); END""",
    f"""CREATE TRIGGER desk_tally_incidents_ins AFTER INSERT ON incidents
  WHEN NEW.merged_into_pk IS NULL BEGIN
  {_D} VALUES ('incident', {_LITE_MONTH.format(col="NEW.created_at")},
    coalesce(NEW.category, 'other'), NEW.state, 1); END""",
    f"""CREATE TRIGGER desk_tally_incidents_upd_old AFTER UPDATE ON incidents
  WHEN OLD.merged_into_pk IS NULL AND (OLD.state IS NOT NEW.state OR OLD.category IS NOT NEW.category
    OR OLD.merged_into_pk IS NOT NEW.merged_into_pk OR OLD.created_at IS NOT NEW.created_at) BEGIN
  {_D} VALUES ('incident', {_LITE_MONTH.format(col="OLD.created_at")},
    coalesce(OLD.category, 'other'), OLD.state, -1); END""",
    f"""CREATE TRIGGER desk_tally_incidents_upd_new AFTER UPDATE ON incidents
  WHEN NEW.merged_into_pk IS NULL AND (OLD.state IS NOT NEW.state OR OLD.category IS NOT NEW.category
    OR OLD.merged_into_pk IS NOT NEW.merged_into_pk OR OLD.created_at IS NOT NEW.created_at) BEGIN
  {_D} VALUES ('incident', {_LITE_MONTH.format(col="NEW.created_at")},
    coalesce(NEW.category, 'other'), NEW.state, 1); END""",
    f"""CREATE TRIGGER desk_tally_incidents_del AFTER DELETE ON incidents
  WHEN OLD.merged_into_pk IS NULL BEGIN
  {_D} VALUES ('incident', {_LITE_MONTH.format(col="OLD.created_at")},
    coalesce(OLD.category, 'other'), OLD.state, -1); END""",
]

_TRIGGER_NAMES = [
    ("reports", "desk_tally_reports_ins"),
    ("reports", "desk_tally_reports_upd"),
    ("reports", "desk_tally_reports_del"),
    ("messages", "desk_tally_messages_ins"),
    ("messages", "desk_tally_messages_upd"),
    ("messages", "desk_tally_messages_del"),
    ("incidents", "desk_tally_incidents_ins"),
    ("incidents", "desk_tally_incidents_upd"),
    ("incidents", "desk_tally_incidents_del"),
]
_LITE_TRIGGER_NAMES = [
    "desk_tally_reports_ins",
    "desk_tally_reports_upd",
    "desk_tally_reports_del",
    "desk_tally_messages_ins",
    "desk_tally_messages_upd",
    "desk_tally_messages_del",
    "desk_tally_incidents_ins",
    "desk_tally_incidents_upd_old",
    "desk_tally_incidents_upd_new",
    "desk_tally_incidents_del",
]
_PG_FUNCTION_NAMES = [
    f"desk_tally_{t}_{k}" for t in ("reports", "messages", "incidents") for k in ("ins", "row")
]


def _backfill(day: str, month: str) -> list[str]:
    """The folded counts of what is stored already."""
    return [
        f"""INSERT INTO desk_tally (kind, bucket, a, b, n)
        SELECT 'report', {day.format(col="m.received_at")}, r.verdict, coalesce(r.category, 'other'), count(*)
        FROM reports r JOIN messages m ON m.id = r.message_pk
        GROUP BY {day.format(col="m.received_at")}, r.verdict, coalesce(r.category, 'other')""",
        """INSERT INTO desk_tally (kind, bucket, a, b, n)
        SELECT 'message', '', status, '', count(*) FROM messages GROUP BY status""",
        f"""INSERT INTO desk_tally (kind, bucket, a, b, n)
        SELECT 'incident', {month.format(col="created_at")}, coalesce(category, 'other'), state, count(*)
        FROM incidents WHERE merged_into_pk IS NULL
        GROUP BY {month.format(col="created_at")}, coalesce(category, 'other'), state""",
    ]


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for name in ("desk_tally", "desk_tally_delta"):
        op.create_table(
            name,
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
            sa.Column("kind", sa.String(20), nullable=False),  # report, message, incident
            sa.Column("bucket", sa.String(10), nullable=False),  # YYYY-MM-DD, YYYY-MM or ''
            sa.Column("a", sa.String(30), nullable=False),  # verdict, status or category
            sa.Column("b", sa.String(30), nullable=False),  # category, '' or state
            sa.Column("n", sa.BigInteger, nullable=False),
        )
    op.create_index("ux_desk_tally_key", "desk_tally", ["kind", "bucket", "a", "b"], unique=True)
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(400), nullable=False),  # user:NAME or addr:ADDRESS
        sa.Column("at", _TS, nullable=False),
    )
    op.create_index("ix_login_failures_key_at", "login_failures", ["key", "at"])
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    op.create_table(
        "leader_heartbeat",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(300), nullable=False),
        sa.Column("since", _TS, nullable=False),
        sa.Column("at", _TS, nullable=False),
    )
    # The dashboard's oldest unhandled incident; time to acknowledge and to notify.
    op.create_index("ix_incidents_state_first_seen", "incidents", ["state", "first_seen"])
    op.create_index("ix_outbox_kind_sent_at", "outbox", ["kind", "sent_at"])
    if pg:
        op.execute(
            _PG_FUNCTIONS.format(
                day=_PG_DAY.format(col="m.received_at"),
                imonth=_PG_MONTH.format(col="created_at"),
                omonth=_PG_MONTH.format(col="OLD.created_at"),
                nmonth=_PG_MONTH.format(col="NEW.created_at"),
            )
        )
        op.execute(_PG_TRIGGERS)
        for statement in _backfill(_PG_DAY, _PG_MONTH):
            op.execute(statement)
        op.execute("DROP INDEX IF EXISTS ix_observations_ip_inet")
        op.execute("CREATE INDEX ix_observations_inet_incident ON observations ((ip::inet), incident_pk)")
        # Incidents moved to contacting, per month (statistics): only those events are read.
        op.execute(
            "CREATE INDEX ix_incident_events_state_to ON incident_events ((detail ->> 'to'), at)"
            " WHERE action = 'state'"
        )
    else:
        for statement in _LITE_TRIGGERS:
            op.execute(statement)
        for statement in _backfill(_LITE_DAY, _LITE_MONTH):
            op.execute(statement)
        op.create_index("ix_incident_events_action_at", "incident_events", ["action", "at"])


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        for table, name in _TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for fn in _PG_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION {fn}()")
        op.execute("DROP INDEX ix_incident_events_state_to")
        op.execute("DROP INDEX ix_observations_inet_incident")
        op.execute("CREATE INDEX ix_observations_ip_inet ON observations USING gist ((ip::inet) inet_ops)")
    else:
        for name in _LITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
        op.drop_index("ix_incident_events_action_at", "incident_events")
    op.drop_index("ix_outbox_kind_sent_at", "outbox")
    op.drop_index("ix_incidents_state_first_seen", "incidents")
    op.drop_table("leader_heartbeat")
    op.drop_table("login_failures")
    op.drop_table("desk_tally_delta")
    op.drop_table("desk_tally")
