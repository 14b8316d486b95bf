"""The dead_letters table as the code queries it (0004_dead_letters creates it)."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa

from shared.dbtypes import BigIntId

metadata = sa.MetaData()


class DeadLetterStatus(StrEnum):
    WAITING = "waiting"      # not applied: an operator re-drives or discards it
    REDRIVEN = "redriven"    # replayed through the consumer and applied (or already applied)
    DISCARDED = "discarded"  # an operator decided, with a reason, that it is not to be applied


dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("consumer", sa.String(100), nullable=False),
    sa.Column("origin_topic", sa.String(200), nullable=False),
    sa.Column("origin_partition", sa.Integer, nullable=False),
    sa.Column("origin_offset", sa.BigInteger, nullable=False),
    sa.Column("event_id", sa.String(100), nullable=True),
    sa.Column("ce_type", sa.String(200), nullable=True),
    sa.Column("case_id", sa.String(200), nullable=True),
    sa.Column("message_key", sa.LargeBinary, nullable=True),
    sa.Column("message_value", sa.LargeBinary, nullable=True),
    sa.Column("message_headers", sa.JSON, nullable=False),
    sa.Column("error_type", sa.String(200), nullable=False),
    sa.Column("error_message", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolved_by", sa.String(200), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.UniqueConstraint("consumer", "origin_topic", "origin_partition", "origin_offset",
                        name="uq_dead_letters_origin"),
)
