"""Transport read model: cases (eligibility), flights, and manifest entries.

Revision ID: transport_0001
Revises: 0001_platform
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "transport_0001"
down_revision: str | Sequence[str] | None = "0001_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transport_cases",
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("eligible", sa.Boolean, nullable=False),
        sa.Column("failing_rules", sa.JSON, nullable=False),
        sa.Column("pickup_deadline_on", sa.Date, nullable=True),
        sa.Column("destination_district", sa.String(20), nullable=True),
        sa.Column("destination_airport", sa.String(10), nullable=True),
        sa.Column("flight_id", sa.String(40), nullable=True),
        sa.Column("person_name", sa.String(400), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("view", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
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
        sa.Column("scheduled_departure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("view", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_transport_flights_status", "transport_flights",
                    ["status", "scheduled_departure"])
    op.create_table(
        "transport_manifest",
        sa.Column("flight_id", sa.String(40), primary_key=True),
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("person_name", sa.String(400), nullable=True),
        sa.Column("destination_airport", sa.String(10), nullable=False),
        sa.Column("destination_district", sa.String(20), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("custody", sa.JSON, nullable=True),
        sa.Column("departed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("landed_airport", sa.String(10), nullable=True),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removal_reason", sa.String(60), nullable=True),
        sa.Column("removal_detail", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("transport_manifest")
    op.drop_table("transport_flights")
    op.drop_table("transport_cases")
