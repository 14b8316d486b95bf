"""The case's legal basis follows judicial's basis change (treaty -> national security), with
the time it last moved, as status and clearance do. Cases changed before this migration take
the change from their timeline, which holds every judicial event."""

import json

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import timestamp

revision = "intake_0004"
down_revision = "intake_0003"


def upgrade() -> None:
    with op.batch_alter_table("intake_cases") as table:
        table.add_column(timestamp("legal_basis_at", nullable=True))
    op.execute("UPDATE intake_cases SET legal_basis_at = submitted_at")
    connection = op.get_bind()
    changes = connection.execute(sa.text(
        "SELECT case_id, data, recorded_at FROM intake_timeline "
        "WHERE event_type = 'judicial.basis_changed' ORDER BY recorded_at"))
    for case_id, data, recorded_at in changes:
        connection.execute(
            sa.text("UPDATE intake_cases SET legal_basis = :basis, legal_basis_at = :at "
                    "WHERE case_id = :case_id"),
            {"basis": json.loads(data)["to_basis"], "at": recorded_at, "case_id": case_id})


def downgrade() -> None:
    # Back to the request's basis: the first change's from_basis.
    connection = op.get_bind()
    changes = connection.execute(sa.text(
        "SELECT case_id, data FROM intake_timeline "
        "WHERE event_type = 'judicial.basis_changed' ORDER BY recorded_at DESC"))
    for case_id, data in changes:
        connection.execute(
            sa.text("UPDATE intake_cases SET legal_basis = :basis WHERE case_id = :case_id"),
            {"basis": json.loads(data)["from_basis"], "case_id": case_id})
    with op.batch_alter_table("intake_cases") as table:
        table.drop_column("legal_basis_at")
