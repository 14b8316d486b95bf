"""Intake's read models: the operator's case list and every case's timeline across services.

The case row is written with the submission, in the command's transaction; the timeline and
the status move as events from every service arrive over Kafka. The person's name is not in
these tables (an audit replay rebuilds them from ciphertext): it is in person_names
(shared/pii/names.py), joined when answering, and blanked when the personal data is erased.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import iso_utc
from shared.dbtypes import UtcDateTime
from shared.legaltime import TimelineOrder
from shared.messaging.cloudevents import ConsumedEvent
from shared.pii.names import person_names, shown_name
from shared.read_models import page
from shared.rules import law

from .events import LegalBasis, RequestSubmitted, RequestSubmittedV1

metadata = sa.MetaData()

cases = sa.Table(
    "intake_cases", metadata,
    sa.Column("case_id", sa.String(40), primary_key=True),
    # Unique: a second submission of a reference is refused (api.py reads the violation).
    sa.Column("request_reference", sa.String(200), unique=True),
    sa.Column("legal_basis", sa.String(40), nullable=False),
    sa.Column("requesting_district", sa.String(10), nullable=False),
    sa.Column("status", sa.String(60), nullable=False),
    sa.Column("clearance", sa.String(40), nullable=False),
    sa.Column("submitted_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("status_at", UtcDateTime()),
    sa.Column("clearance_at", UtcDateTime()),
    # The basis the case is on now: the request's, until judicial records a basis change.
    sa.Column("legal_basis_at", UtcDateTime()),
    # What holds the case back (amparo_pending, amparo_suspension; null: nothing), shown over
    # its stage in `status` (see shown_status).
    sa.Column("amparo_status", sa.String(40)),
    sa.Column("amparo_status_at", UtcDateTime()),
)

timeline = sa.Table(
    "intake_timeline", metadata,
    sa.Column("event_id", sa.Uuid, primary_key=True),
    sa.Column("case_id", sa.String(200), nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("event_type", sa.String(200), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("stream_version", sa.Integer, nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(300), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
)

# Every status and clearance a case can have: the filters of GET /cases accept only these
# (a typo is a 422, not an empty list), and the answers name them. A unit test keeps them
# equal to the values STATUS_AFTER and CLEARANCE_AFTER can write.
CaseStatus = Literal[
    "submitted", "in_judicial_process", "provisional_detention", "formal_request_received",
    "judicial_hearing", "judge_opinion_issued", "extradition_granted", "extradition_refused",
    "amparo_pending", "amparo_suspension", "amparo_granted", "surrender_ordered",
    "surrender_deferred", "temporary_surrender", "basis_changed", "transfer_authorized",
    "released",
    "on_manifest", "awaiting_transport", "in_us_custody", "in_transit", "landed",
    "in_us_court", "return_to_mexico_due"]
Clearance = Literal["pending", "cleared", "withdrawn"]

# Where a case stands, as the operator sees it, moved by the events of every phase.
# Unknown event types leave the status as it is (they still enter the timeline).
STATUS_AFTER: dict[str, CaseStatus] = {
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
    # An expiry recorded before a custody transfer dated earlier reached judicial: void.
    "judicial.pickup_expiry_voided": "in_us_custody",
    # An appeal filed in time showed an expiry void: the order stands, held by the suspension.
    "judicial.pickup_expiry_voided_by_appeal": "surrender_ordered",
    # An act dated before the expiry, entered after it, held or moved the window: void too.
    "judicial.pickup_expiry_voided_by_earlier_act": "surrender_ordered",
    "transport.manifest_assigned": "on_manifest",
    "transport.removed_from_manifest": "awaiting_transport",
    "transport.custody_transferred": "in_us_custody",
    "transport.person_departed": "in_transit",
    "transport.person_landed": "landed",
    "court.intake_opened": "in_us_court",
    "court.return_to_mexico_due": "return_to_mexico_due",
}
# Judicial's act that puts a case on another legal basis (treaty -> national security).
BASIS_CHANGED = "judicial.basis_changed"
CLEARANCE_AFTER: dict[str, Clearance] = {
    "assurance.capital_charge_identified": "pending",
    "assurance.death_penalty_clearance_granted": "cleared",
    "assurance.death_penalty_clearance_withdrawn": "withdrawn",
}


# Removals that follow a judicial act (transport's automatic removal): the act's own status
# (released) stands, though the removal is recorded after it. One because of a suspension, or
# of a grant that annuls the order, leaves the person awaiting transport, which the amparo is
# shown over while it holds.
REMOVED_BY_JUDICIAL_ACT = frozenset(rule.id for rule in (
    law.RELEASED_FROM_CUSTODY, law.PICKUP_WINDOW_EXPIRED))

# --- amparo: what holds the case back, shown over its stage ------------------------------
# An amparo suit is not a stage of the case but something that holds it back, so its status
# is kept apart (`amparo_status`, stamped like the others) and shown over the stage while it
# holds; once a ruling or the end of a suspension leaves nothing holding the person, the
# stage shows again, with whatever happened meanwhile (a flight assigned while a suit without
# suspension was pending). Each column is moved by the newest event that speaks to it, so the
# answer is the same in any arrival order and in the audit's rebuild.
AMPARO_STATUSES: tuple[CaseStatus, ...] = ("amparo_pending", "amparo_suspension",
                                          "amparo_granted")
AMPARO_HOLDS: dict[str, CaseStatus] = {
    "judicial.amparo_suspension_granted": "amparo_suspension",
    "judicial.amparo_suspension_reinstated": "amparo_suspension",
}
# A grant holds the SRE's decision it annuls until the SRE decides again or an appeal
# reverses it; while one stands it is what the case shows, whatever other suits do.
AMPARO_GRANTED = "judicial.amparo_granted"
# A ruling, or the end of a suspension, says which suits hold the person after it.
AMPARO_ENDINGS = frozenset({"judicial.amparo_denied", "judicial.amparo_suspension_lifted",
                            "judicial.amparo_appeal_decided"})
AMPARO_FILED = "judicial.amparo_filed"
# Acts after which no suit of the case holds it: the SRE deciding again (suits can only be
# brought against its grant, so a decision after one is always a new one: the suits against
# the annulled decision lose their object), and a basis change (it overtakes them).
AMPARO_SET_ASIDE = frozenset({"judicial.sre_extradition_granted",
                              "judicial.sre_extradition_refused", BASIS_CHANGED})
# Stages no amparo holds back: shown whatever amparo status is recorded.
BEYOND_AN_AMPARO = frozenset({
    "released", "extradition_refused", "basis_changed", "transfer_authorized",
    "in_us_custody", "in_transit", "landed", "in_us_court", "return_to_mexico_due"})


def _amparo_hold(event_type: str, data: Mapping[str, Any]) -> tuple[bool, str | None]:
    """(whether the event speaks to what holds the case, the amparo status after it; None:
    nothing holds it). The judicial acts name the suits that hold the person after them:
    a grant standing, then a suspension, then a suit awaiting its ruling."""
    if event_type in AMPARO_SET_ASIDE:
        return True, None
    if event_type == AMPARO_GRANTED:
        return True, "amparo_granted"
    if event_type not in (*AMPARO_HOLDS, AMPARO_FILED, *AMPARO_ENDINGS):
        return False, None
    if data.get("granted_amparos"):
        return True, "amparo_granted"
    if event_type in AMPARO_HOLDS:
        return True, AMPARO_HOLDS[event_type]
    if event_type == AMPARO_FILED:  # a suit is pending now, whatever else holds the person
        return True, "amparo_suspension" if data.get("active_suspensions") else "amparo_pending"
    if data.get("active_suspensions") is None:
        return False, None  # recorded before the rulings named what holds the person
    if event_type == "judicial.amparo_appeal_decided" and data.get("outcome") == "granted":
        return True, "amparo_granted"
    if data["active_suspensions"]:
        return True, "amparo_suspension"
    return True, "amparo_pending" if data.get("pending_amparos") else None


def shown_status(stage: str, amparo_status: str | None) -> str:
    """The operator's status: what holds the case back, while it does, else its stage."""
    if amparo_status is None or stage in BEYOND_AN_AMPARO:
        return stage
    return amparo_status


# The stages once Mexico handed the person over, in the order a person goes through them. A
# case only moves forward through them: judicial records nothing after it learns of the
# handover, but an act it recorded before learning of it (the scheduler's expiry and release
# on the window's last day, or that expiry's void once it does learn) can be recorded after
# transport's handover, departure or landing. So the status is the furthest of these stages
# reached (the latest recorded among equals) once there is one, and the latest recorded of
# all the others until then: whatever order the events arrive in.
AFTER_THE_HANDOVER: dict[str, int] = {
    "in_us_custody": 1, "in_transit": 2, "landed": 3, "in_us_court": 4,
    "return_to_mexico_due": 5}


def status_moves(current: str | None, current_at: datetime, stage: str,
                 recorded_at: datetime) -> bool:
    """Whether an event recorded at `recorded_at` moves the status to `stage`."""
    reached, going = AFTER_THE_HANDOVER.get(current or "", 0), AFTER_THE_HANDOVER.get(stage, 0)
    return going > reached or (going == reached and current_at <= recorded_at)


def moves(event_type: str, data: Mapping[str, Any]) -> dict[str, str | None]:
    """The stage (`status`), amparo status, clearance and legal basis an event moves the case
    to (a None amparo status: nothing holds it any more)."""
    moved: dict[str, str | None] = {}
    status = _status_after(event_type, data)
    if status is not None:
        moved["status"] = status
    speaks, holds = _amparo_hold(event_type, data)
    if speaks:
        moved["amparo_status"] = holds
    if event_type in CLEARANCE_AFTER:
        moved["clearance"] = CLEARANCE_AFTER[event_type]
    if event_type == BASIS_CHANGED and data.get("to_basis"):
        moved["legal_basis"] = str(data["to_basis"])
    return moved


def _status_after(event_type: str, data: Mapping[str, Any]) -> str | None:
    """A person taken off a flight after Mexico handed them over stays in the US Marshals'
    custody, not awaiting transport; one taken off because of a judicial act keeps the status
    that act gave (None: the status does not move)."""
    if event_type != "transport.removed_from_manifest":
        return STATUS_AFTER.get(event_type)
    if data.get("reason") in REMOVED_BY_JUDICIAL_ACT:
        return None
    return "in_us_custody" if data.get("in_us_custody") else STATUS_AFTER[event_type]


def submitted_row(request: RequestSubmitted | RequestSubmittedV1,
                  at: datetime) -> dict[str, Any]:
    """The case row a request opens, from the request event alone (the live consumer and the
    audit's rebuild both start from it); either version: only fields both carry in clear."""
    return {
        "case_id": request.case_id, "request_reference": request.request_reference,
        "legal_basis": request.legal_basis.value,
        "requesting_district": request.requesting_district, "status": "submitted",
        "clearance": "pending", "submitted_at": at, "updated_at": at, "status_at": at,
        "clearance_at": at, "legal_basis_at": at, "amparo_status": None,
        "amparo_status_at": at}


async def record_submission(conn: AsyncConnection, request: RequestSubmitted,
                            at: datetime) -> None:
    """The case row, from the request event alone (so a replay rebuilds it exactly)."""
    # Parameters apart from the statement, so it is compiled once (see shared/pii/keystore).
    await conn.execute(cases.insert(), submitted_row(request, at))


async def case_for_reference(conn: AsyncConnection, reference: str) -> str | None:
    value = await conn.scalar(sa.select(cases.c.case_id)
                              .where(cases.c.request_reference == reference))
    return None if value is None else str(value)


async def apply_to_timeline(conn: AsyncConnection, event: ConsumedEvent) -> None:
    """Add any case event to the timeline and move the case's status."""
    case_id = str(event.data.get("case_id") or event.subject)
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(timeline)
    await conn.execute(insert.values(
        event_id=event.event_id, case_id=case_id, source=event.source,
        event_type=event.event_type, schema_version=event.schema_version,
        stream_version=event.stream_version, occurred_at=event.time,
        recorded_at=event.recorded_at, actor=f"{event.actor.subject} ({event.actor.role})",
        data=event.data_json).on_conflict_do_nothing())
    # Events of different services arrive in no fixed order; the most recently recorded one
    # decides, so the status is the same whatever the arrival order (and after a replay).
    for column, value in moves(event.event_type, event.data).items():
        stamp = cases.c[f"{column}_at"]
        await conn.execute(
            cases.update()
            .where(cases.c.case_id == case_id, _moved_by(column, value, event.recorded_at))
            .values({column: value, stamp.name: event.recorded_at,
                     "updated_at": sa.case((cases.c.updated_at > event.recorded_at,
                                            cases.c.updated_at), else_=event.recorded_at)}))


def _moved_by(column: str, value: str | None, recorded_at: datetime) -> sa.ColumnElement[bool]:
    """The row's column takes the value an event recorded at `recorded_at` gives it (as
    status_moves says, in SQL)."""
    later = cases.c[f"{column}_at"] <= recorded_at
    if column != "status":
        return later
    reached = sa.case(*((cases.c.status == stage, rank)
                        for stage, rank in AFTER_THE_HANDOVER.items()), else_=0)
    going = AFTER_THE_HANDOVER.get(value or "", 0)
    return sa.or_(reached < going, sa.and_(reached == going, later))


# shown_status in SQL, for the list's filter.
_shown_status = sa.case(
    (sa.and_(cases.c.amparo_status.is_not(None), cases.c.status.not_in(BEYOND_AN_AMPARO)),
     cases.c.amparo_status), else_=cases.c.status)


def _with_names() -> sa.Select[Any]:
    """Case rows with the name to show beside them (null when none was ever recorded)."""
    return (sa.select(cases, shown_name().label("full_name"))
            .select_from(cases.outerjoin(person_names,
                                         person_names.c.case_id == cases.c.case_id)))


def case_summary(row: Any) -> dict[str, Any]:
    return {
        "case_id": row.case_id, "full_name": row.full_name,
        "legal_basis": LegalBasis(row.legal_basis).value,
        "requesting_district": row.requesting_district,
        "status": shown_status(row.status, row.amparo_status),
        "clearance": row.clearance, "request_reference": row.request_reference,
        "submitted_at": iso_utc(row.submitted_at), "updated_at": iso_utc(row.updated_at),
    }


async def get_case(conn: AsyncConnection, case_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(_with_names().where(cases.c.case_id == case_id))).first()
    return None if row is None else case_summary(row)


async def list_cases(conn: AsyncConnection, *, status: CaseStatus | None,
                     clearance: Clearance | None,
                     limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await conn.execute(page(
        _with_names().order_by(cases.c.submitted_at, cases.c.case_id),
        (_shown_status, status), (cases.c.clearance, clearance), limit=limit, offset=offset))
    return [case_summary(row) for row in rows]


async def case_timeline(conn: AsyncConnection, case_id: str,
                        order: TimelineOrder = TimelineOrder.LEGAL) -> list[dict[str, Any]]:
    """Every event of the case from every service: in the order things happened in law
    (occurred_at), or in the order Runway recorded them (`TimelineOrder.RECORDED`); the same
    tie-breaks as shared.legaltime.timeline_key."""
    first = timeline.c.recorded_at if order is TimelineOrder.RECORDED else timeline.c.occurred_at
    rows = await conn.execute(
        sa.select(timeline).where(timeline.c.case_id == case_id)
        .order_by(first, timeline.c.recorded_at, timeline.c.source, timeline.c.stream_version))
    return [{
        "event_id": str(row.event_id), "source": row.source, "event_type": row.event_type,
        "schema_version": row.schema_version, "stream_version": row.stream_version,
        "occurred_at": iso_utc(row.occurred_at), "recorded_at": iso_utc(row.recorded_at),
        "actor": row.actor, "data": json.loads(row.data),
    } for row in rows]
