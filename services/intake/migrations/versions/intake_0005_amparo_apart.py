"""What holds a case back (an amparo suit pending or granted, a suspension) is kept apart from
its stage and shown over it while it holds (services/intake/read_model.shown_status).

Cases recorded before are moved over by replaying their timeline, which holds every case event
of every service, through the rules as this revision found them: the stage, what holds the
case and their stamps come out as the consumer now writes them (and as `runway audit replay`
rebuilds them). The rules are copied here, not imported: a migration must not change when the
code does.
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from shared.migrations.columns import timestamp

revision = "intake_0005"
down_revision = "intake_0004"

STAGE_AFTER = {
    "judicial.case_opened": "in_judicial_process",
    "judicial.provisional_detention_ordered": "provisional_detention",
    "judicial.formal_request_received": "formal_request_received",
    "judicial.hearing_held": "judicial_hearing",
    "judicial.judge_opinion_issued": "judge_opinion_issued",
    "judicial.sre_extradition_granted": "extradition_granted",
    "judicial.sre_extradition_refused": "extradition_refused",
    "judicial.surrender_ordered": "surrender_ordered",
    "judicial.surrender_deferred": "surrender_deferred",
    "judicial.temporary_surrender_agreed": "temporary_surrender",
    "judicial.basis_changed": "basis_changed",
    "judicial.national_security_transfer_authorized": "transfer_authorized",
    "judicial.provisional_detention_lapsed": "released",
    "judicial.released_from_custody": "released",
    "judicial.pickup_window_expired": "released",
    "judicial.pickup_expiry_voided": "in_us_custody",
    "transport.manifest_assigned": "on_manifest",
    "transport.removed_from_manifest": "awaiting_transport",
    "transport.custody_transferred": "in_us_custody",
    "transport.person_departed": "in_transit",
    "transport.person_landed": "landed",
    "court.intake_opened": "in_us_court",
    "court.return_to_mexico_due": "return_to_mexico_due",
}
KEEPS_THE_ACTS_STAGE = {"released_from_custody", "pickup_window_expired"}
HOLDS = {"judicial.amparo_suspension_granted": "amparo_suspension",
         "judicial.amparo_suspension_reinstated": "amparo_suspension"}
SET_ASIDE = {"judicial.sre_extradition_granted", "judicial.sre_extradition_refused",
             "judicial.basis_changed"}
ENDINGS = {"judicial.amparo_denied", "judicial.amparo_suspension_lifted",
           "judicial.amparo_appeal_decided"}
NOTHING = object()  # the event says nothing of what holds the case


def _stage(event_type: str, data: dict[str, Any]) -> str | None:
    if event_type != "transport.removed_from_manifest":
        return STAGE_AFTER.get(event_type)
    if data.get("reason") in KEEPS_THE_ACTS_STAGE:
        return None
    return "in_us_custody" if data.get("in_us_custody") else "awaiting_transport"


def _holds(event_type: str, data: dict[str, Any]) -> object:
    if event_type in SET_ASIDE:
        return None
    if event_type == "judicial.amparo_granted":
        return "amparo_granted"
    if event_type not in (*HOLDS, "judicial.amparo_filed", *ENDINGS):
        return NOTHING
    if data.get("granted_amparos"):
        return "amparo_granted"
    if event_type in HOLDS:
        return HOLDS[event_type]
    if event_type == "judicial.amparo_filed":
        return "amparo_suspension" if data.get("active_suspensions") else "amparo_pending"
    if data.get("active_suspensions") is None:
        return NOTHING
    if event_type == "judicial.amparo_appeal_decided" and data.get("outcome") == "granted":
        return "amparo_granted"
    if data["active_suspensions"]:
        return "amparo_suspension"
    return "amparo_pending" if data.get("pending_amparos") else None


def _replayed(connection: sa.Connection, case_id: str, submitted_at: Any,
              updated_at: Any) -> dict[str, Any]:
    # The consumer's order: by recorded time, one command's events in their stream's order.
    rows = sorted(connection.execute(sa.text(
        "SELECT event_type, data, recorded_at, source, stream_version FROM intake_timeline "
        "WHERE case_id = :c"), {"c": case_id}).all(),
        key=lambda r: (r.recorded_at, r.source, r.stream_version))
    row = {"status": "submitted", "status_at": submitted_at, "amparo_status": None,
           "amparo_status_at": submitted_at, "updated_at": updated_at}
    for event in rows:
        data = json.loads(event.data)
        moved = {"status": _stage(event.event_type, data),
                 "amparo_status": _holds(event.event_type, data)}
        for column, value in moved.items():
            speaks = value is not NOTHING and (column == "amparo_status" or value is not None)
            if speaks and row[f"{column}_at"] <= event.recorded_at:
                row[column], row[f"{column}_at"] = value, event.recorded_at
                row["updated_at"] = max(row["updated_at"], event.recorded_at)
    return row


def upgrade() -> None:
    with op.batch_alter_table("intake_cases") as table:
        table.add_column(sa.Column("amparo_status", sa.String(40), nullable=True))
        table.add_column(timestamp("amparo_status_at", nullable=True))
    connection = op.get_bind()
    cases = connection.execute(sa.text(
        "SELECT case_id, submitted_at, updated_at FROM intake_cases")).all()
    for case_id, submitted_at, updated_at in cases:
        connection.execute(sa.text(
            "UPDATE intake_cases SET status = :status, status_at = :status_at, "
            "amparo_status = :amparo_status, amparo_status_at = :amparo_status_at, "
            "updated_at = :updated_at WHERE case_id = :c"),
            {**_replayed(connection, case_id, submitted_at, updated_at), "c": case_id})


def downgrade() -> None:
    op.execute("UPDATE intake_cases SET status = amparo_status "
               "WHERE amparo_status IS NOT NULL AND status NOT IN ('released', "
               "'extradition_refused', 'basis_changed', 'transfer_authorized', "
               "'in_us_custody', 'in_transit', 'landed', 'in_us_court', "
               "'return_to_mexico_due')")
    with op.batch_alter_table("intake_cases") as table:
        table.drop_column("amparo_status_at")
        table.drop_column("amparo_status")
