"""Intake's rules, each one named object (shared/rules): what a clerk checks before a request
becomes a case, and what the case's later commands refuse. domain.py's problems (422) and
refusals (409) and docs/rules/intake.md ask this book; none restates a rule.

They are all command rules: they judge the request or command itself, with the case's state
as context, so the book has no gates.
"""

from __future__ import annotations

from typing import Any

from shared.rules import Reads, Rule, RuleBook
from shared.rules.law import CHARGES_REQUIRED as CHARGES_REQUIRED
from shared.rules.law import DATE_IN_FUTURE as DATE_IN_FUTURE
from shared.rules.law import NATIONAL_SECURITY_LAW, TREATY, record_rule

from .events import REQUEST_SUBMITTED

PERSONAL_DATA = "Runway's personal-data policy (docs/personal-data.md)"

# --- the request ---------------------------------------------------------------------------

CHARGE_ID_UNIQUE = record_rule("charge_id_unique", "each charge of a request has its own charge_id")
DUAL_CRIMINALITY: Rule[Any] = Rule(
    "dual_criminality",
    "each offence carries a maximum of at least one year in both countries",
    f"{TREATY} arts. 1-2", Reads.NONE)
SENTENCE_REMAINING_TOO_SHORT: Rule[Any] = Rule(
    "sentence_remaining_too_short",
    "a request to enforce a sentence needs at least six months of it left to serve",
    f"{TREATY} art. 2", Reads.NONE)
DEATH_PENALTY_LAW_REQUIRED: Rule[Any] = Rule(
    "death_penalty_law_required",
    "a charge for which death is a possible sentence names the law that allows it (assurance "
    "then asks for the treaty's assurance)", f"{TREATY} art. 8", Reads.NONE)
ARREST_WARRANT_REQUIRED: Rule[Any] = Rule(
    "arrest_warrant_required",
    "a treaty or simplified request carries the certified arrest warrant",
    f"{TREATY} art. 10(3)(a) (a copy of the warrant of arrest)", Reads.NONE)
DIPLOMATIC_NOTE_OR_PROVISIONAL_ARREST: Rule[Any] = Rule(
    "diplomatic_note_or_provisional_arrest",
    "a treaty request arrives by diplomatic note, or starts with a provisional arrest",
    f"{TREATY} art. 10(1) (through the diplomatic channel) and art. 11 (provisional arrest)",
    Reads.NONE)
CONSENT_STATEMENT_REQUIRED: Rule[Any] = Rule(
    "consent_statement_required",
    "the simplified basis rests on the person's recorded consent to be surrendered",
    f"{TREATY} art. 18 (simplified extradition); to confirm, see the domain brief", Reads.NONE)
WRITTEN_US_REQUEST_REQUIRED: Rule[Any] = Rule(
    "written_us_request_required",
    "a national-security transfer follows a written US request",
    f"{NATIONAL_SECURITY_LAW} (transfers of 27 Feb 2025, 12 Aug 2025, 20 Jan 2026 each "
    "answered a written US request)", Reads.NONE)
DATES_IN_ORDER = record_rule(
    "dates_in_order",
    "the date of birth is in the past, the provisional arrest not in the future and after "
    "the birth", Reads.LEGAL)
KNOWN_US_DISTRICT: Rule[Any] = Rule(
    "known_us_district",
    "the charging district is a US district court, named by its abbreviation (EDNY, SDCA, "
    "DDC)", "28 U.S.C. §§ 81-131 (the judicial districts)", Reads.NONE)
REQUEST_REFERENCE_UNIQUE = record_rule(
    "request_reference_unique", "a requester's reference (e.g. an OIA file number) opens one case")

# --- the case afterwards --------------------------------------------------------------------

CASE_MUST_EXIST = record_rule(
    "case_must_exist", "the command needs the case's request", satisfied_by=(REQUEST_SUBMITTED,))
AMENDMENT_CHANGES_NOTHING = record_rule(
    "amendment_changes_nothing", "an amendment of the charges changes them")
PERSONAL_DATA_ALREADY_ERASED: Rule[Any] = Rule(
    "personal_data_already_erased", "a person's personal data is erased once", PERSONAL_DATA,
    Reads.NONE)
PERSONAL_DATA_NOT_SEALED: Rule[Any] = Rule(
    "personal_data_not_sealed",
    "only a request whose person was sealed (intake.request_submitted v2) can be erased by "
    "deleting the person's key: v1 carried the names in clear", PERSONAL_DATA, Reads.NONE)

RULES = RuleBook("intake", [
    CHARGES_REQUIRED, DATE_IN_FUTURE, CHARGE_ID_UNIQUE, DUAL_CRIMINALITY,
    SENTENCE_REMAINING_TOO_SHORT, DEATH_PENALTY_LAW_REQUIRED, ARREST_WARRANT_REQUIRED,
    DIPLOMATIC_NOTE_OR_PROVISIONAL_ARREST,
    CONSENT_STATEMENT_REQUIRED, WRITTEN_US_REQUEST_REQUIRED, DATES_IN_ORDER, KNOWN_US_DISTRICT,
    REQUEST_REFERENCE_UNIQUE, CASE_MUST_EXIST, AMENDMENT_CHANGES_NOTHING,
    PERSONAL_DATA_ALREADY_ERASED, PERSONAL_DATA_NOT_SEALED,
])
