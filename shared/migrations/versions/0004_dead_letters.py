"""Dead letters an operator can see, re-drive or discard (issue 16, deliverable 4).

The consumer runtime (shared/consumer) records every message it dead-letters here, in the
service's own database, before it sends the message to the dead-letter topic: the table is the
operator's work list, the topic stays the durable copy. It sits with `inbox` among the platform
tables because the shared consumer runtime writes it for every service that consumes.
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import BigIntId, partial_index, timestamp

revision = "0004_dead_letters"
down_revision = "0003_outbox_wake"


def upgrade() -> None:
    op.create_table(
        "dead_letters",
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
        timestamp("failed_at"),
        sa.Column("status", sa.String(20), nullable=False),
        timestamp("resolved_at", nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        # A message redelivered before its offset was committed is recorded once.
        sa.UniqueConstraint("consumer", "origin_topic", "origin_partition", "origin_offset",
                            name="uq_dead_letters_origin"),
    )
    # Transport asks on every boarding which cases have a waiting dead letter.
    partial_index("ix_dead_letters_waiting_case", "dead_letters", ["case_id"],
                  "status = 'waiting'")


def downgrade() -> None:
    op.drop_index("ix_dead_letters_waiting_case", "dead_letters")
    op.drop_table("dead_letters")
