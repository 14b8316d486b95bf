"""When each case's status and clearance last moved, so the newest event decides them."""

from alembic import op

from shared.migrations.columns import timestamp

revision = "intake_0002"
down_revision = "intake_0001"


def upgrade() -> None:
    with op.batch_alter_table("intake_cases") as table:
        table.add_column(timestamp("status_at", nullable=True))
        table.add_column(timestamp("clearance_at", nullable=True))
    op.execute("UPDATE intake_cases SET status_at = updated_at, clearance_at = updated_at")


def downgrade() -> None:
    with op.batch_alter_table("intake_cases") as table:
        table.drop_column("clearance_at")
        table.drop_column("status_at")
