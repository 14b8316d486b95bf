"""Platform tables: events, outbox, inbox."""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import BigIntId, on_postgres, partial_index, timestamp

revision = "0001_platform"
down_revision = None
branch_labels = ("platform",)


def _tx_id_default() -> sa.TextClause:
    # The writer's transaction id orders commits safely (see EventStore.read_all).
    if on_postgres():
        return sa.text("(pg_current_xact_id()::text::bigint)")
    return sa.text("0")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("position", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("tx_id", sa.BigInteger, nullable=False, server_default=_tx_id_default()),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("stream_id", sa.String(200), nullable=False),
        sa.Column("stream_type", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        timestamp("occurred_at"),
        timestamp("recorded_at"),
        sa.Column("actor_subject", sa.String(200), nullable=False),
        sa.Column("actor_role", sa.String(100), nullable=False),
        sa.Column("correlation_id", sa.String(100), nullable=False),
        sa.Column("causation_id", sa.String(100), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("event_id", name="uq_events_event_id"),
        sa.UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
    )
    op.create_index("ix_events_commit_order", "events", ["tx_id", "position"])
    op.create_index("ix_events_recorded_at", "events", ["recorded_at"])

    op.create_table(
        "outbox",
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("event_position", sa.BigInteger, sa.ForeignKey("events.position"),
                  nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("message_key", sa.String(200), nullable=False),
        timestamp("published_at", nullable=True),
        sa.Column("kafka_partition", sa.Integer, nullable=True),
        sa.Column("kafka_offset", sa.BigInteger, nullable=True),
    )
    # The relay only ever looks at what is still to send.
    partial_index("ix_outbox_pending", "outbox", ["id"], "published_at IS NULL")
    op.create_index("ix_outbox_event", "outbox", ["event_position"])

    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("kafka_partition", sa.Integer, nullable=False),
        sa.Column("kafka_offset", sa.BigInteger, nullable=False),
        timestamp("processed_at"),
    )

    if on_postgres():
        # Wake the relay when outbox rows commit: NOTIFY is delivered at commit, once per
        # transaction, and costs the writer no extra round trip.
        op.execute("""
            CREATE FUNCTION runway_notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('runway_outbox', '');
                RETURN NULL;
            END $$;
        """)
        op.execute("""
            CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
            FOR EACH STATEMENT EXECUTE FUNCTION runway_notify_outbox();
        """)
        # Events are immutable: the database itself refuses updates (auditors still detect
        # tampering by a superuser through the hash chain).
        op.execute("""
            CREATE FUNCTION runway_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'events are immutable (% on events)', TG_OP;
            END $$;
        """)
        op.execute("""
            CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION runway_events_immutable();
        """)


def downgrade() -> None:
    if on_postgres():
        op.execute("DROP TRIGGER IF EXISTS events_immutable ON events")
        op.execute("DROP FUNCTION IF EXISTS runway_events_immutable()")
        op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
        op.execute("DROP FUNCTION IF EXISTS runway_notify_outbox()")
    op.drop_table("inbox")
    op.drop_table("outbox")
    op.drop_table("events")
