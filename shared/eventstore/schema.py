"""Table definitions the platform code queries. Migrations create them (see shared/migrations)."""

from __future__ import annotations

import sqlalchemy as sa

from shared.dbtypes import BigIntId

metadata = sa.MetaData()

events = sa.Table(
    "events",
    metadata,
    sa.Column("position", BigIntId, primary_key=True, autoincrement=True),
    # The writing transaction's id (PostgreSQL); the basis of the commit-safe global order.
    sa.Column("tx_id", sa.BigInteger, nullable=False),
    sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
    sa.Column("stream_id", sa.String(200), nullable=False),
    sa.Column("stream_type", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("event_type", sa.String(200), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor_subject", sa.String(200), nullable=False),
    sa.Column("actor_role", sa.String(100), nullable=False),
    sa.Column("correlation_id", sa.String(100), nullable=False),
    sa.Column("causation_id", sa.String(100), nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("event_position", sa.BigInteger, sa.ForeignKey("events.position"), nullable=False),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("message_key", sa.String(200), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("kafka_partition", sa.Integer, nullable=True),
    sa.Column("kafka_offset", sa.BigInteger, nullable=True),
)

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("consumer", sa.String(100), primary_key=True),
    sa.Column("event_id", sa.Uuid, primary_key=True),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("kafka_partition", sa.Integer, nullable=False),
    sa.Column("kafka_offset", sa.BigInteger, nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
)

# Channel the outbox trigger notifies on commit (PostgreSQL); the relay LISTENs to it.
OUTBOX_CHANNEL = "runway_outbox"
