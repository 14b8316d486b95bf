"""What judicial clerks record: one model per step, used as the HTTP request body and as the
command the domain decides on. Bodies are strict: unknown fields and bad values are a 422
naming the field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from shared.legaltime import legal_date
from shared.web.params import Instant
from shared.web.requests import RequestBody

from .events import RefusalGround, SurrenderKind

AmparoId = Annotated[str, Field(min_length=1, max_length=100,
                                description="the amparo suit's file number")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class _ActDate:
    """Marks the field that holds the legal date of the act a command records."""


ACT_DATE = _ActDate()
ActDay = Annotated[date, ACT_DATE]
ActInstant = Annotated[Instant, ACT_DATE]


class Command(RequestBody):
    model_config = ConfigDict(frozen=True)

    def acted_on(self) -> date:
        """The legal date of the act (its ActDay, or its ActInstant on Mexico's calendar):
        what had run out in law by then is recorded before the act (domain.lapse_first)."""
        [name] = [name for name, field in type(self).model_fields.items()
                  if ACT_DATE in field.metadata]
        value = getattr(self, name)
        return legal_date(value) if isinstance(value, datetime) else value


class OrderProvisionalDetention(Command):
    ordered_on: ActDay = Field(description="the day the judge ordered provisional detention "
                                           "(the arrest on the urgent US request)")


class ReceiveFormalRequest(Command):
    received_on: ActDay = Field(description="the day the SRE received the formal request")


class HoldHearing(Command):
    held_on: ActDay


class ExtendEvidencePeriod(Command):
    extended_on: ActDay
    additional_days: int = Field(ge=1, le=180)
    reason: Text


class FileObjections(Command):
    filed_on: ActDay
    summary: Text


class GiveConsent(Command):
    given_on: ActDay = Field(description="the day the person consented before the judge")


class IssueOpinion(Command):
    issued_on: ActDay
    favorable: StrictBool = Field(description="whether the judge finds extradition lawful")


class DecideExtradition(Command):
    decision: Literal["granted", "refused"]
    decided_on: ActDay
    notified_on: date = Field(description="the day the decision was notified to the person")
    reason: Annotated[str, Field(max_length=4000)] | None = None
    ground: RefusalGround | None = Field(
        default=None, description="a refusal's ground (required when refused)")
    person_is_mexican: StrictBool | None = Field(
        default=None, description="whether the person is a Mexican national, as the clerk "
                                  "states it (required for the nationality ground)")
    domestic_prosecution_referred_on: date | None = Field(
        default=None, description="nationality refusals: the day the case went to Mexico's "
                                  "prosecutors (treaty art. 9(2), LEI art. 14)")

    @field_validator("notified_on")
    @classmethod
    def _notified_after_decision(cls, value: date, info: ValidationInfo) -> date:
        decided = info.data.get("decided_on")
        if decided is not None and value < decided:
            raise ValueError("the decision cannot be notified before it was taken")
        return value


class FileAmparo(Command):
    amparo_id: AmparoId
    filed_on: ActDay


class GrantAmparoSuspension(Command):
    amparo_id: AmparoId
    granted_on: ActDay


class RuleOnAmparo(Command):
    amparo_id: AmparoId
    outcome: Literal["denied", "granted"]
    ruled_on: ActDay
    notified_on: date | None = Field(
        default=None, description="the day the ruling was notified (default: the ruling day); "
                                  "the 10 business days to appeal it run from the day after")


class FileAmparoAppeal(Command):
    amparo_id: AmparoId
    filed_on: ActDay
    appellant: Literal["complainant", "authority"] = Field(
        description="who appeals: the person (complainant) or the authority (the SRE)")


class DecideAmparoAppeal(Command):
    amparo_id: AmparoId
    decided_on: ActDay
    outcome: Literal["denied", "granted"] = Field(
        description="the amparo's final outcome: denied (surrender may follow) or granted "
                    "(the SRE must decide again)")


class OrderSurrender(Command):
    ordered_on: ActDay
    kind: SurrenderKind = SurrenderKind.FULL
    reason: Annotated[str, Field(max_length=4000)] | None = Field(
        default=None, validate_default=True,
        description="for a deferred surrender: the Mexican proceedings it waits for")

    @field_validator("reason")
    @classmethod
    def _deferral_needs_reason(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("kind") is SurrenderKind.DEFERRED and not value:
            raise ValueError("a deferred surrender must name the Mexican proceedings it "
                             "waits for")
        return value

    placed_at_disposal_on: date | None = Field(
        default=None, description="the day the person was placed at the US's disposal (the "
        "SRE's notice to the embassy), when later than the order; LEI art. 35's 60 days to "
        "collect them run from the day after (default: the order's date)")

    @field_validator("placed_at_disposal_on")
    @classmethod
    def _deferral_places_nobody(cls, value: date | None, info: ValidationInfo) -> date | None:
        if info.data.get("kind") is SurrenderKind.DEFERRED and value is not None:
            raise ValueError("a deferred surrender places nobody at the US's disposal")
        return value


class RecordPlacementAtDisposal(Command):
    placed_on: ActDay = Field(
        description="the day the person was placed at the US's disposal (the SRE's notice to "
        "the embassy), after the surrender order; LEI art. 35's 60 days to collect them run "
        "from the day after")
    correction_reason: Text | None = Field(
        default=None, description="why the day changes: required to correct a placement day "
        "recorded earlier (with the order or by this step); the record keeps both days")


class AgreeTemporarySurrender(Command):
    agreed_on: ActDay
    return_conditions: Text = Field(description="when and how the US returns the person")


class AuthorizeNationalSecurityTransfer(Command):
    authorized_at: ActInstant
    us_request_reference: Annotated[str, Field(min_length=1, max_length=300)]
    authority: Annotated[str, Field(min_length=1, max_length=300,
                                    description="who authorized it under the NS Law")]


class ChangeBasis(Command):
    changed_on: ActDay
    to_basis: Literal["national_security"] = Field(
        description="the basis the case moves to (a treaty or consent case overtaken by a "
                    "national-security transfer)")
    reason: Text
    authority: Annotated[str, Field(min_length=1, max_length=300,
                                    description="who decided the change")]


ClerkCommand = (
    OrderProvisionalDetention | ReceiveFormalRequest | HoldHearing | ExtendEvidencePeriod
    | FileObjections | GiveConsent | IssueOpinion | DecideExtradition | FileAmparo
    | GrantAmparoSuspension | RuleOnAmparo | FileAmparoAppeal | DecideAmparoAppeal
    | OrderSurrender | RecordPlacementAtDisposal | AgreeTemporarySurrender
    | AuthorizeNationalSecurityTransfer | ChangeBasis
)
