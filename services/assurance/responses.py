"""What assurance's API answers, as typed models (see shared/web/responses.py). Every command
answers the case as GET /cases/{case_id} shows it (view.py, stored as JSON)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.web.responses import IsoDay, IsoInstant, ResponseBody

from .events import ClearanceBasis, ClearanceException, Scope


class CapitalChargeView(ResponseBody):
    charge_id: str
    statute: str
    death_penalty_law: str | None
    generation: int = Field(description="a charge that stops and again becomes capital is a "
                                        "new generation; older assurances do not cover it")
    coverage: Literal["uncovered", "requested", "received", "accepted", "doj_commitment",
                      "rejected", "withdrawn"] = Field(
        description="where the count's cover stands; a covered count names what covers it "
                    "(accepted, doj_commitment), as covered_by does")
    covered: bool
    covered_by: Literal["assurance", "doj_commitment"] | None
    assurance_ids: list[str]


class AssuranceRequestView(ResponseBody):
    charge_ids: list[str]
    requested_on: IsoDay | None
    note: str | None


class AssuranceView(ResponseBody):
    assurance_id: str
    status: Literal["received", "accepted", "rejected", "withdrawn"]
    scope: list[Scope]
    scope_sufficient: bool
    diplomatic_note_reference: str
    issuing_authority: str
    issued_on: IsoDay | None
    charge_ids: list[str]
    covers_current_charges: list[str] = Field(description="charges it was given for that are "
                                                          "still capital in the same form")
    decided_on: IsoDay | None
    decision_reason: str | None
    withdrawn_on: IsoDay | None
    withdrawal_reason: str | None


class DojCommitmentView(ResponseBody):
    reference: str
    committed_on: IsoDay | None = Field(description="its legal date")
    authority: str
    scope: str
    charge_ids: list[str] | None = Field(description="the counts it names; null: every count")
    prosecuting_authority: str = Field(description="federal, or the state it binds")
    seeks_death: bool
    covers_charge_ids: list[str] = Field(description="the capital counts its scope covers")
    after_transfer: bool = Field(description="committed_on is after the custody transfer's "
                                             "legal date")
    recorded_after_the_fact: bool = Field(description="clerical: entered on a later day than "
                                                      "committed_on; never a legal flag")


class TransferFlag(ResponseBody):
    rule: str = Field(description="not_cleared | cleared_after_transfer")
    statement: str
    transfer_legal_date: IsoDay | None
    clearance_legal_date: IsoDay | None = Field(description="null when there was no clearance")


class TransferView(ResponseBody):
    transferred_at: IsoInstant | None
    transfer_legal_date: IsoDay | None
    cleared_at_transfer: bool = Field(description="the clearance's legal date is on or before "
                                                  "the transfer's legal date")
    flagged: bool
    flag_reason: str | None
    flag: TransferFlag | None = Field(description="the two legal dates compared")
    recorded_after_the_fact: bool = Field(
        description="clerical: the handoff or the commitment was entered on a later day than "
                    "its legal date; never a legal flag")


class Blocked(ResponseBody):
    rule: str = Field(description="the rule holding the clearance back, the first of the "
                                  "gate (services/assurance/rules.py CLEARANCE): "
                                  "doj_commitment_insufficient, capital_charge_uncovered")
    uncovered_charge_ids: list[str]
    detail: str


class ClearanceView(ResponseBody):
    cleared: bool
    since: IsoInstant | None
    basis: ClearanceBasis | None
    exception: ClearanceException | None
    charge_ids: list[str]
    assurance_ids: list[str]
    doj_commitment_reference: str | None
    withdrawn_at: IsoInstant | None
    withdrawal_reason: str | None
    blocked: Blocked | None = Field(description="why the case is not cleared (null when it is)")


class CaseView(ResponseBody):
    case_id: str
    legal_basis: str | None
    version: int
    capital_charges: list[CapitalChargeView]
    assurance_requests: list[AssuranceRequestView]
    assurances: list[AssuranceView]
    doj_commitment: DojCommitmentView | None = Field(
        description="the first federal commitment, else the first recorded")
    doj_commitments: list[DojCommitmentView] = Field(
        description="every commitment, in the order recorded (a prosecution may give further "
        "ones: for counts charged since, or seeking death after all)")
    transfer: TransferView | None
    clearance: ClearanceView


class CaseSummary(ResponseBody):
    case_id: str
    legal_basis: str | None
    version: int
    cleared: bool
    cleared_since: IsoInstant | None
    basis: ClearanceBasis | None
    exception: ClearanceException | None
    uncovered_charge_ids: list[str]
    transfer_flagged: bool
    updated_at: IsoInstant


class CaseList(ResponseBody):
    cases: list[CaseSummary]
    count: int
