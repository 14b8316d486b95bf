"""The expected final state of every case, computed from the workload's script alone.

It imports nothing of the services: what it knows of the law is written here, from the
domain brief, as an auditor would state it (who flies, who stays, and why). The checks compare
it with what the services answer at the end of a run.
"""

from __future__ import annotations

from dataclasses import dataclass

from .workload import CaseScript, Kind


@dataclass(frozen=True)
class Expected:
    outcome: str  # "flown", "stayed", "released", "in_proceedings"
    why: str
    judicial_status: str  # judicial's status of the case at the end
    transport_status: str  # transport's status of the person at the end
    lapsed: bool = False  # judicial records the provisional detention's lapse

    @property
    def flown(self) -> bool:
        return self.outcome == "flown"


FLOWN = Expected("flown", "surrendered, handed to the US Marshals, flown, in a US court",
                 "surrendered", "landed")
NATIONAL_FLOWN = Expected("flown", "transferred on the national-security basis, flown, in a "
                          "US court", "surrendered", "landed")


def expected(script: CaseScript) -> Expected:
    """What must be true of the case once the run is over, faults or not."""
    kind = script.kind
    if script.removed:
        # Taken off the manifest before the handoff: still eligible, waiting for a flight.
        surrendered = "transfer_authorized" if kind in (
            Kind.NATIONAL_SECURITY, Kind.NATIONAL_SECURITY_CAPITAL) else "surrender_ordered"
        return Expected("stayed", "taken off the flight by the operator", surrendered,
                        "eligible")
    if kind in (Kind.NATIONAL_SECURITY, Kind.NATIONAL_SECURITY_CAPITAL):
        return NATIONAL_FLOWN
    if kind in (Kind.TREATY, Kind.TREATY_AMENDED, Kind.TREATY_ASSURANCE_ACCEPTED):
        return FLOWN
    if kind == Kind.TREATY_ASSURANCE_REJECTED:
        # Surrender is ordered, but no accepted assurance covers the capital count (treaty
        # art. 8): transport must not let the person board.
        return Expected("stayed", "death-penalty assurance rejected: no clearance",
                        "surrender_ordered", "not_eligible")
    if kind == Kind.TREATY_AMPARO_SUSPENSION:
        return Expected("stayed", "amparo suspension: surrender may not be ordered",
                        "amparo_pending", "not_eligible")
    if kind == Kind.PROVISIONAL_THEN_FORMAL:
        return Expected("in_proceedings", "formal request in time, hearing held", "hearing",
                        "not_eligible")
    # Released from the provisional detention; the case stays open for a late formal request.
    return Expected("released", "no formal request within 60 days of provisional detention",
                    "provisional_detention", "not_eligible", lapsed=True)
