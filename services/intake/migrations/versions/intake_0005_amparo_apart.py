"""What holds a case back (an amparo suit pending, a suspension) is kept apart from its stage
and shown over it while it holds (services/intake/read_model.shown_status).

Cases recorded before: one showing an amparo status keeps it, now as `amparo_status`, and its
stage becomes the latest judicial stage recorded before it; one whose basis changed shows
`basis_changed` unless a later event moved it (as the consumer now moves it).
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import timestamp

revision = "intake_0005"
down_revision = "intake_0004"

AMPARO_STATUSES = ("amparo_pending", "amparo_suspension")
# Judicial's stage events as intake_0005 found them (frozen here: a migration must not
# change when the code does).
JUDICIAL_STAGES = {
    "judicial.case_opened": "in_judicial_process",
    "judicial.provisional_detention_ordered": "provisional_detention",
    "judicial.formal_request_received": "formal_request_received",
    "judicial.hearing_held": "judicial_hearing",
    "judicial.judge_opinion_issued": "judge_opinion_issued",
    "judicial.sre_extradition_granted": "extradition_granted",
    "judicial.sre_extradition_refused": "extradition_refused",
    "judicial.amparo_granted": "amparo_granted",
    "judicial.surrender_ordered": "surrender_ordered",
    "judicial.surrender_deferred": "surrender_deferred",
    "judicial.temporary_surrender_agreed": "temporary_surrender",
}


def upgrade() -> None:
    with op.batch_alter_table("intake_cases") as table:
        table.add_column(sa.Column("amparo_status", sa.String(40), nullable=True))
        table.add_column(timestamp("amparo_status_at", nullable=True))
    op.execute("UPDATE intake_cases SET amparo_status_at = submitted_at")
    connection = op.get_bind()
    held = connection.execute(sa.text(
        "SELECT case_id, status, status_at FROM intake_cases WHERE status IN "
        "('amparo_pending', 'amparo_suspension')")).all()
    for case_id, status, status_at in held:
        stage = connection.execute(sa.text(
            "SELECT event_type FROM intake_timeline WHERE case_id = :c AND recorded_at < :at "
            f"AND event_type IN ({', '.join(repr(t) for t in JUDICIAL_STAGES)}) "
            "ORDER BY recorded_at DESC, stream_version DESC LIMIT 1"),
            {"c": case_id, "at": status_at}).scalar()
        connection.execute(sa.text(
            "UPDATE intake_cases SET amparo_status = :held, amparo_status_at = status_at, "
            "status = :stage WHERE case_id = :c"),
            {"held": status, "stage": JUDICIAL_STAGES.get(stage or "", "in_judicial_process"),
             "c": case_id})
    changes = connection.execute(sa.text(
        "SELECT case_id, recorded_at FROM intake_timeline "
        "WHERE event_type = 'judicial.basis_changed'")).all()
    for case_id, recorded_at in changes:
        connection.execute(sa.text(
            "UPDATE intake_cases SET status = 'basis_changed', status_at = :at, "
            "updated_at = CASE WHEN updated_at > :at THEN updated_at ELSE :at END "
            "WHERE case_id = :c AND status_at <= :at"), {"at": recorded_at, "c": case_id})


def downgrade() -> None:
    op.execute("UPDATE intake_cases SET status = amparo_status "
               "WHERE amparo_status IS NOT NULL AND status NOT IN ('released', "
               "'extradition_refused', 'basis_changed', 'transfer_authorized', "
               "'in_us_custody', 'in_transit', 'landed', 'in_us_court', "
               "'return_to_mexico_due')")
    with op.batch_alter_table("intake_cases") as table:
        table.drop_column("amparo_status_at")
        table.drop_column("amparo_status")
