"""The 26 defendants of the scenario, in the pattern of the 12 August 2025 transfer.

Roberto Salazar, Abigael González Valencia and "Rosa A." are named in the public reporting
the product started from; everyone else is fictional. Most travel on the national-security
basis, as the real group did; four treaty cases show the judicial path, including one whose
death-penalty assurance Mexico rejects and one held by an amparo suspension.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

TREATY_FLIES = "treaty"
TREATY_ASSURANCE_REJECTED = "treaty_assurance_rejected"
TREATY_AMPARO_SUSPENSION = "treaty_amparo_suspension"
NATIONAL_SECURITY = "national_security"


@dataclass(frozen=True)
class Defendant:
    given: str
    family: str
    district: str
    path: str
    capital: bool = False
    offence: str = "drug trafficking conspiracy"
    alias: str | None = None
    # The DOJ's commitment not to seek death, when its date differs from the scenario's (a
    # national-security capital case whose commitment came later than the others').
    committed_on: date | None = None

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"


DEFENDANTS: tuple[Defendant, ...] = (
    Defendant("Roberto", "Salazar", "CDCA", NATIONAL_SECURITY, capital=True,
              offence="murder of a Los Angeles County sheriff's deputy"),
    Defendant("Abigael", "González Valencia", "DDC", NATIONAL_SECURITY, alias="El Cuini",
              offence="CJNG financing, money laundering"),
    Defendant("Rosa", "A.", "SDCA", NATIONAL_SECURITY,
              offence="cross-border drug smuggling (2016-2017)"),
    Defendant("Julián", "Barrera Ortiz", "EDNY", NATIONAL_SECURITY),
    Defendant("Marco", "Cervantes Lugo", "EDNY", NATIONAL_SECURITY, capital=True,
              offence="murder in aid of racketeering"),
    Defendant("Ernesto", "Dávila Rincón", "SDNY", NATIONAL_SECURITY),
    Defendant("Lucía", "Estrada Paredes", "SDCA", NATIONAL_SECURITY),
    Defendant("Héctor", "Fuentes Gil", "WDTX", NATIONAL_SECURITY,
              offence="firearms trafficking"),
    Defendant("Raúl", "Guerrero Salas", "WDTX", NATIONAL_SECURITY),
    Defendant("Iván", "Herrera Cano", "SDTX", NATIONAL_SECURITY),
    Defendant("Óscar", "Ibarra Medina", "SDTX", NATIONAL_SECURITY, capital=True,
              offence="killing of a federal agent"),
    Defendant("Jorge", "Juárez Peña", "NDIL", NATIONAL_SECURITY),
    Defendant("Karla", "Lozano Ríos", "NDIL", NATIONAL_SECURITY,
              offence="fentanyl distribution conspiracy"),
    Defendant("Mauricio", "Montes Vela", "DDC", NATIONAL_SECURITY),
    Defendant("Nicolás", "Navarro Beltrán", "CDCA", NATIONAL_SECURITY,
              offence="fentanyl distribution conspiracy"),
    Defendant("Pablo", "Olvera Trejo", "CDCA", NATIONAL_SECURITY),
    Defendant("Quetzal", "Pineda Soto", "EDNY", NATIONAL_SECURITY),
    Defendant("Rodrigo", "Quintana Mora", "SDCA", NATIONAL_SECURITY),
    Defendant("Saúl", "Ramírez Ochoa", "WDTX", NATIONAL_SECURITY, capital=True,
              offence="murder in the course of a drug conspiracy"),
    Defendant("Tomás", "Sandoval Cruz", "SDTX", NATIONAL_SECURITY),
    Defendant("Ulises", "Toledo Reyes", "NDIL", NATIONAL_SECURITY),
    Defendant("Valeria", "Uribe Campos", "DDC", NATIONAL_SECURITY,
              offence="money laundering"),
    Defendant("Walter", "Valdez Arce", "EDNY", TREATY_FLIES, capital=True,
              offence="murder of a DEA informant"),
    Defendant("Ximena", "Zamora Luna", "SDCA", TREATY_FLIES),
    Defendant("Yahir", "Cortés Bravo", "CDCA", TREATY_ASSURANCE_REJECTED, capital=True,
              offence="murder of a federal officer"),
    Defendant("Zacarías", "Molina Fierro", "WDTX", TREATY_AMPARO_SUSPENSION),
)


def request_body(defendant: Defendant, index: int, arrested_on: str | None, run_tag: str,
                 prefix: str = "AUG2025",
                 us_request: str = "US written request of 11 Aug 2025",
                 requested_on: str | None = None) -> dict[str, Any]:
    charges: list[dict[str, Any]] = [{
        "charge_id": "c1", "statute": "21 U.S.C. §§ 846, 841",
        "description": "conspiracy to distribute controlled substances",
        "max_penalty_us": {"life": True}, "mx_equivalent_offence": "delitos contra la salud",
        "max_penalty_mx": {"years": 25}, "death_penalty_possible": False,
    }]
    if defendant.capital:
        charges.append({
            "charge_id": "c2", "statute": "18 U.S.C. § 1111", "description": defendant.offence,
            "max_penalty_us": {"life": True}, "mx_equivalent_offence": "homicidio calificado",
            "max_penalty_mx": {"years": 60}, "death_penalty_possible": True,
            "death_penalty_law": "18 U.S.C. § 3591",
        })
    else:
        charges[0]["description"] = defendant.offence
    body: dict[str, Any] = {
        "request_reference": f"{prefix}-{run_tag}-{index:02d}",
        "person": {"given_names": defendant.given, "family_names": defendant.family,
                   "aliases": [defendant.alias] if defendant.alias else [],
                   "nationality": "Mexican"},
        "legal_basis": "national_security" if defendant.path == NATIONAL_SECURITY else "treaty",
        "requesting_district": defendant.district,
        "prosecutor_office": f"US Attorney's Office, {defendant.district}",
        "charges": charges,
        "documents": [{"kind": "arrest_warrant", "reference": f"WAR-{index:02d}"}],
    }
    if requested_on is not None:  # the request's legal date (the US request, or the note)
        body["requested_on"] = requested_on
    if defendant.path == NATIONAL_SECURITY:
        body["us_request_reference"] = us_request
    else:
        body["documents"].append({"kind": "diplomatic_note", "reference": f"DN-{index:02d}"})
        if arrested_on is not None:  # else the person is arrested on the formal request
            body["provisional_arrest_date"] = arrested_on
    return body
