"""The recorded acts the console offers as forms: which API call each is, its fields, and who
may take it.

Who may take a step is read from the permission matrix (shared/security/permissions.yaml), the
same file the APIs enforce: a page shows a form only to a role the API would let through. The
API still decides; the matrix only keeps forms a user could never submit off their page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from shared.security import PermissionMatrix, load_matrix

Kind = Literal["date", "text", "textarea", "bool", "choice", "int", "instant", "list"]


@dataclass(frozen=True)
class Input:
    name: str
    kind: Kind
    required: bool = True
    choices: tuple[str, ...] = ()


Subject = Literal["case", "flight", "fleet"]


@dataclass(frozen=True)
class Step:
    id: str                     # e.g. "judicial.hearing": also the label key step.<id>
    service: str
    path: str                   # the API route as the matrix names it
    inputs: tuple[Input, ...] = field(default_factory=tuple)
    # What the step is recorded on: a case (its page), a flight (its page), or neither (the
    # flights page: scheduling and planning).
    subject: Subject = "case"
    # Reshapes the form's flat body where the API nests it (a plan's aircraft list).
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # The body's fields (dotted paths) that `shape` makes out of a form field of another name:
    # the API's 422 names the body's field, and its problem goes beside the form's.
    shaped_from: Mapping[str, str] = field(default_factory=dict)

    def url(self, subject_id: str, form: Mapping[str, str] | None = None) -> str:
        """The route with the case or flight, and any other path parameter (an assurance id,
        a case on a flight) taken from the form's field of that name."""
        url = self.path.replace(f"{{{self.subject}_id}}", quote(subject_id, safe=""))
        for item in self.inputs:
            if self.in_path(item):
                url = url.replace(f"{{{item.name}}}",
                                  quote((form or {}).get(item.name, "").strip(), safe="")
                                  or "-")
        return url

    def in_path(self, item: Input) -> bool:
        return f"{{{item.name}}}" in self.path

    def form_field(self, loc: Sequence[str]) -> str:
        """The form field an API problem at body path `loc` goes beside ("": above the form,
        for a field the form has no control of its own for)."""
        for end in range(len(loc), 0, -1):
            name = self.shaped_from.get(".".join(loc[:end]))
            if name is not None:
                return name
        name = loc[0] if loc else ""
        return name if any(item.name == name for item in self.inputs) else ""


def _day(name: str) -> Input:
    return Input(name, "date")


AMPARO_ID = Input("amparo_id", "text")

# Judicial's steps, in the order a treaty case usually takes them.
JUDICIAL = (
    Step("judicial.provisional_detention", "judicial", "/cases/{case_id}/provisional-detention",
         (_day("ordered_on"),)),
    Step("judicial.formal_request", "judicial", "/cases/{case_id}/formal-request",
         (_day("received_on"),)),
    Step("judicial.hearing", "judicial", "/cases/{case_id}/hearing", (_day("held_on"),)),
    Step("judicial.objections", "judicial", "/cases/{case_id}/objections",
         (_day("filed_on"), Input("summary", "textarea"))),
    Step("judicial.evidence_extension", "judicial", "/cases/{case_id}/evidence-extension",
         (_day("extended_on"), Input("additional_days", "int"), Input("reason", "textarea"))),
    Step("judicial.consent", "judicial", "/cases/{case_id}/consent", (_day("given_on"),)),
    Step("judicial.judge_opinion", "judicial", "/cases/{case_id}/judge-opinion",
         (_day("issued_on"), Input("favorable", "bool"))),
    Step("judicial.sre_decision", "judicial", "/cases/{case_id}/sre-decision",
         (Input("decision", "choice", choices=("granted", "refused")), _day("decided_on"),
          _day("notified_on"), Input("reason", "textarea", required=False),
          # A refusal names its ground; the nationality ground, the person's nationality and
          # the day the case went to Mexico's prosecutors (judicial rules).
          Input("ground", "choice", required=False, choices=(
              "nationality", "political_or_military_offence", "non_bis_in_idem",
              "lapse_of_time", "other")),
          Input("person_is_mexican", "bool", required=False),
          Input("domestic_prosecution_referred_on", "date", required=False))),
    Step("judicial.amparo", "judicial", "/cases/{case_id}/amparo",
         (AMPARO_ID, _day("filed_on"))),
    Step("judicial.amparo_suspension", "judicial", "/cases/{case_id}/amparo-suspension",
         (AMPARO_ID, _day("granted_on"))),
    Step("judicial.amparo_ruling", "judicial", "/cases/{case_id}/amparo-ruling",
         (AMPARO_ID, Input("outcome", "choice", choices=("denied", "granted")),
          _day("ruled_on"), Input("notified_on", "date", required=False))),
    Step("judicial.amparo_appeal", "judicial", "/cases/{case_id}/amparo-appeal",
         (AMPARO_ID, _day("filed_on"),
          Input("appellant", "choice", choices=("complainant", "authority")))),
    Step("judicial.amparo_appeal_ruling", "judicial", "/cases/{case_id}/amparo-appeal-ruling",
         (AMPARO_ID, _day("decided_on"),
          Input("outcome", "choice", choices=("denied", "granted")))),
    Step("judicial.surrender_order", "judicial", "/cases/{case_id}/surrender-order",
         (_day("ordered_on"),
          Input("kind", "choice", required=False, choices=("full", "deferred", "temporary")),
          Input("reason", "textarea", required=False),
          Input("placed_at_disposal_on", "date", required=False))),
    Step("judicial.placement_at_disposal", "judicial", "/cases/{case_id}/placement-at-disposal",
         (_day("placed_on"), Input("correction_reason", "textarea", required=False))),
    Step("judicial.temporary_surrender", "judicial", "/cases/{case_id}/temporary-surrender",
         (_day("agreed_on"), Input("return_conditions", "textarea"))),
    Step("judicial.national_security_transfer", "judicial",
         "/cases/{case_id}/national-security-transfer",
         (Input("authorized_at", "instant"), Input("us_request_reference", "text"),
          Input("authority", "text"))),
    Step("judicial.basis_change", "judicial", "/cases/{case_id}/basis-change",
         (_day("changed_on"), Input("to_basis", "choice", choices=("national_security",)),
          Input("reason", "textarea"), Input("authority", "text"))),
)

CHARGE_IDS = Input("charge_ids", "list")
ASSURANCE_ID = Input("assurance_id", "text")

# Assurance's steps: capital charges' assurances (treaty) and the DOJ commitment (NS basis).
ASSURANCE = (
    Step("assurance.assurance_request", "assurance", "/cases/{case_id}/assurance-requests",
         (CHARGE_IDS, _day("requested_on"), Input("note", "textarea", required=False))),
    Step("assurance.assurance", "assurance", "/cases/{case_id}/assurances",
         (ASSURANCE_ID,
          Input("scope", "list", choices=("not_sought", "not_imposed", "not_carried_out")),
          Input("diplomatic_note_reference", "text"),
          Input("issuing_authority", "text"), _day("issued_on"), CHARGE_IDS)),
    Step("assurance.decision", "assurance",
         "/cases/{case_id}/assurances/{assurance_id}/decision",
         (ASSURANCE_ID, Input("accepted", "bool"), _day("decided_on"),
          Input("reason", "textarea"))),
    Step("assurance.withdrawal", "assurance",
         "/cases/{case_id}/assurances/{assurance_id}/withdrawal",
         (ASSURANCE_ID, _day("withdrawn_on"), Input("reason", "textarea"))),
    Step("assurance.doj_commitment", "assurance", "/cases/{case_id}/doj-commitment",
         (Input("reference", "text"), _day("committed_on"), Input("authority", "text"),
          Input("scope", "textarea"), Input("charge_ids", "list", required=False),
          Input("prosecuting_authority", "text", required=False),
          Input("seeks_death", "bool", required=False))),
    # Asks assurance to judge clearance again now (its 409 names the uncovered capital charges).
    Step("assurance.clearance_evaluation", "assurance", "/cases/{case_id}/clearance/evaluation"),
)

def _counts(body: dict[str, Any]) -> dict[str, Any]:
    """A superseding indictment's counts, one a line: "id; statute; description[; facts of]"
    (the facts_of charge: the case's charge whose facts a re-described count rests on)."""
    lines = [line for line in str(body.pop("counts", "")).splitlines() if line.strip()]
    charges = []
    for line in lines:
        parts = [part.strip() for part in line.split(";")]
        if len(parts) not in (3, 4) or not all(parts[:3]):
            raise FormProblem("counts", "form.counts")
        count = {"charge_id": parts[0], "statute": parts[1], "description": parts[2]}
        if len(parts) == 4 and parts[3]:
            count["facts_of"] = parts[3]
        charges.append(count)
    return {**body, "charges": charges} if charges else body


REQUESTING_STATE = Input("requesting_state", "text")

# The US court's steps after the landing: the case's proceedings, the rule of specialty (treaty
# art. 17) and onward extradition to a third state.
COURT = (
    Step("court.docket", "court", "/cases/{case_id}/docket", (Input("docket_number", "text"),)),
    Step("court.initial_appearance", "court", "/cases/{case_id}/initial-appearance",
         (Input("held_at", "instant"), Input("magistrate", "text"))),
    Step("court.detention_hearing", "court", "/cases/{case_id}/detention-hearing",
         (_day("decided_on"),
          Input("outcome", "choice", choices=("detained", "released_on_conditions")),
          Input("conditions", "textarea", required=False),
          Input("grounds", "textarea", required=False))),
    Step("court.arraignment", "court", "/cases/{case_id}/arraignment",
         (_day("arraigned_on"),
          Input("plea", "choice", choices=("not_guilty", "guilty", "nolo_contendere")),
          CHARGE_IDS)),
    Step("court.specialty_consent_request", "court",
         "/cases/{case_id}/specialty-consent-requests",
         (_day("requested_on"), CHARGE_IDS,
          Input("diplomatic_note_reference", "text", required=False))),
    Step("court.specialty_consent", "court", "/cases/{case_id}/specialty-consent",
         (Input("granted", "bool"), _day("decided_on"), Input("diplomatic_note_reference", "text"),
          CHARGE_IDS)),
    Step("court.proceedings_ended", "court", "/cases/{case_id}/proceedings-ended",
         (_day("ended_on"), Input("outcome", "text"))),
    Step("court.superseding_indictment", "court", "/cases/{case_id}/superseding-indictment",
         (_day("filed_on"), Input("counts", "textarea")), shape=_counts,
         shaped_from={"charges": "counts"}),
    Step("court.specialty_exception", "court", "/cases/{case_id}/specialty-exceptions",
         (Input("exception", "choice", choices=("stayed_after_free_to_leave", "left_and_returned",
                                                "offence_after_extradition")),
          _day("found_on"), Input("reference", "text"),
          Input("free_to_leave_on", "date", required=False),
          Input("left_on", "date", required=False), Input("returned_on", "date", required=False),
          Input("committed_on", "date", required=False),
          Input("charge_ids", "list", required=False))),
    Step("court.reextradition_request", "court", "/cases/{case_id}/reextradition-requests",
         (REQUESTING_STATE, _day("requested_on"), Input("reference", "text", required=False))),
    Step("court.reextradition_consent", "court", "/cases/{case_id}/reextradition-consent",
         (REQUESTING_STATE, Input("granted", "bool"), _day("decided_on"),
          Input("diplomatic_note_reference", "text"))),
    Step("court.onward_surrender", "court", "/cases/{case_id}/onward-surrender",
         (REQUESTING_STATE, _day("surrendered_on"))),
)

def _one_aircraft(body: dict[str, Any]) -> dict[str, Any]:
    """The plan form offers one aircraft; the API takes a list of them."""
    aircraft = {k: body.pop(k) for k in ("aircraft", "capacity") if k in body}
    return {**body, "aircraft": [aircraft]}


# A flight's aircraft and departure, as both the plan and the schedule forms ask for them.
FLIGHT = (Input("aircraft", "text"), Input("capacity", "int"), Input("departure_base", "text"),
          Input("scheduled_departure", "instant"))

# The transport officer's acts: scheduling and planning (the flights page), and each flight's
# manifest, custody, departure and landings (the flight's page).
TRANSPORT = (
    Step("transport.plan", "transport", "/transfers/plan",
         (Input("case_ids", "list"), *FLIGHT), subject="fleet", shape=_one_aircraft,
         shaped_from={"aircraft.0.capacity": "capacity", "aircraft": "aircraft"}),
    Step("transport.schedule", "transport", "/flights", (*FLIGHT, Input("stops", "list")),
         subject="fleet"),
    Step("transport.manifest", "transport", "/flights/{flight_id}/manifest",
         (Input("case_id", "text"),), subject="flight"),
    Step("transport.removal", "transport", "/flights/{flight_id}/manifest/{case_id}/removal",
         (Input("case_id", "text"), Input("detail", "textarea")), subject="flight"),
    Step("transport.custody", "transport", "/flights/{flight_id}/custody",
         (Input("case_id", "text"), Input("transferred_at", "instant"), Input("place", "text"),
          Input("mexican_officer", "text"), Input("us_marshal", "text")), subject="flight"),
    Step("transport.departure", "transport", "/flights/{flight_id}/departure",
         (Input("departed_at", "instant"),), subject="flight"),
    Step("transport.landing", "transport", "/flights/{flight_id}/landing",
         (Input("airport", "text"), Input("landed_at", "instant")), subject="flight"),
    Step("transport.diversion", "transport", "/flights/{flight_id}/diversion",
         (Input("diverted_to", "text"), Input("reason", "textarea"),
          Input("diverted_at", "instant", required=False)), subject="flight"),
    Step("transport.cancellation", "transport", "/flights/{flight_id}/cancellation",
         (Input("reason", "textarea"),), subject="flight"),
)

# The privacy officer's one act: erase the person's personal data (crypto-shredding).
INTAKE = (
    Step("intake.erasure", "intake", "/cases/{case_id}/personal-data/erasure",
         (Input("reason", "textarea"),)),
)

STEPS: dict[str, Step] = {step.id: step
                          for step in (*INTAKE, *JUDICIAL, *ASSURANCE, *COURT, *TRANSPORT)}


def on(subject: Subject, steps: Iterable[Step]) -> list[Step]:
    return [step for step in steps if step.subject == subject]


def allowed_steps(roles: Iterable[str], matrix: PermissionMatrix | None = None,
                  steps: Iterable[Step] = STEPS.values()) -> list[Step]:
    """The steps a holder of `roles` may take, as the permission matrix says."""
    matrix = matrix or load_matrix()
    held = set(roles)
    allowed = []
    for step in steps:
        rule = matrix.rule(step.service, "POST", step.path)
        if rule is not None and held & set(rule.roles):
            allowed.append(step)
    return allowed


def may(roles: Iterable[str], service: str, method: str, path: str,
        matrix: PermissionMatrix | None = None) -> bool:
    """Whether the matrix lets any of `roles` call the route (e.g. intake's POST /cases)."""
    rule = (matrix or load_matrix()).rule(service, method, path)
    return rule is not None and bool(set(roles) & set(rule.roles))


class FormProblem(ValueError):
    def __init__(self, name: str, message_key: str) -> None:
        super().__init__(f"{name}: {message_key}")
        self.name = name
        self.message_key = message_key


def body_of(step: Step, form: Mapping[str, str], timezone: str) -> dict[str, Any]:
    """The API body from the submitted form: typed as the API expects, blanks left out (the
    API names a missing required field in its 422, beside the field)."""
    body: dict[str, Any] = {}
    for item in step.inputs:
        raw = (form.get(item.name) or "").strip()
        if not raw or step.in_path(item):
            continue
        body[item.name] = _typed(item, raw, timezone)
    return step.shape(body) if step.shape else body


# The spellings of a yes/no answer the console reads (in any case): a form's select says
# true/false, a spreadsheet's CSV TRUE/FALSE, a person yes/no or sí/no.
YES = frozenset({"true", "yes", "sí", "1"})
NO = frozenset({"false", "no", "0"})


def yes_no(raw: str) -> bool | None:
    """A yes/no answer as typed: True, False, or None when it is neither (blank included)."""
    answer = raw.strip().casefold()
    return True if answer in YES else False if answer in NO else None


def _typed(item: Input, raw: str, timezone: str) -> Any:
    if item.kind == "bool":
        answer = yes_no(raw)
        if answer is None:
            raise FormProblem(item.name, "form.choose")
        return answer
    if item.kind == "list":  # comma-separated: c1, c2
        return [part.strip() for part in raw.split(",") if part.strip()]
    if item.kind == "int":
        try:
            return int(raw)
        except ValueError as error:
            raise FormProblem(item.name, "form.whole_number") from error
    if item.kind == "instant":
        # A datetime-local input has no zone: the clerk enters the legal time (LEGAL_TIMEZONE).
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError as error:
            raise FormProblem(item.name, "form.instant") from error
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        return moment.isoformat()
    return raw
