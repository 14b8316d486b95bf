"""Transport read model: cases (eligibility), flights, and manifest entries."""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import case_key, projected, timestamp

revision = "transport_0001"
down_revision = "0001_platform"


def upgrade() -> None:
    op.create_table(
        "transport_cases",
        case_key(),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("eligible", sa.Boolean, nullable=False),
        sa.Column("failing_rules", sa.JSON, nullable=False),
        sa.Column("pickup_deadline_on", sa.Date, nullable=True),
        sa.Column("destination_district", sa.String(20), nullable=True),
        sa.Column("destination_airport", sa.String(10), nullable=True),
        sa.Column("flight_id", sa.String(40), nullable=True),
        sa.Column("person_name", sa.String(400), nullable=True),
        *projected(),
    )
    op.create_index("ix_transport_cases_status", "transport_cases", ["status", "case_id"])
    op.create_index("ix_transport_cases_eligible", "transport_cases", ["eligible", "case_id"])
    op.create_table(
        "transport_flights",
        sa.Column("flight_id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("aircraft", sa.String(200), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("seats_assigned", sa.Integer, nullable=False),
        timestamp("scheduled_departure"),
        *projected(),
    )
    op.create_index("ix_transport_flights_status", "transport_flights",
                    ["status", "scheduled_departure"])
    op.create_table(
        "transport_manifest",
        sa.Column("flight_id", sa.String(40), primary_key=True),
        case_key(),
        sa.Column("person_name", sa.String(400), nullable=True),
        sa.Column("destination_airport", sa.String(10), nullable=False),
        sa.Column("destination_district", sa.String(20), nullable=False),
        timestamp("assigned_at"),
        sa.Column("custody", sa.JSON, nullable=True),
        timestamp("departed_at", nullable=True),
        sa.Column("landed_airport", sa.String(10), nullable=True),
        timestamp("landed_at", nullable=True),
        timestamp("removed_at", nullable=True),
        sa.Column("removal_reason", sa.String(60), nullable=True),
        sa.Column("removal_detail", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("transport_manifest")
    op.drop_table("transport_flights")
    op.drop_table("transport_cases")
