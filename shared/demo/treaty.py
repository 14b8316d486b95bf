"""A treaty case walked through judicial and assurance, every act dated back from its flight:
the steps and their request bodies, for the demo (shared/demo/transfer.py) and the chaos
workload (shared/chaos/workload.py) alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Days before the flight of each act of a treaty case: the amparo window (30 business days
# after the SRE's notification) closed before the surrender order, and the flight inside the
# 60-day pickup window. The person is arrested on the formal request, with no provisional
# detention (treaty art. 11 makes it optional): entered after the fact, a provisional
# detention's 60-day clock is already due when it is recorded, and judicial's scheduler lapses
# it (closing the case) before the formal request that stopped it in law can be entered
# (issue 13: judicial's clocks run on the entry day; a race the demo must not depend on).
TREATY_DAYS = {"request": 118, "formal-request": 114, "hearing": 99,
               "judge-opinion": 95, "sre-decided": 78, "sre-notified": 77, "amparo": 63,
               "amparo-suspension": 61, "assurance-requested": 100, "assurance-issued": 70,
               "assurance-decided": 53, "surrender-order": 15}

# A day `days` before the flight, as the ISO date a request body carries.
BeforeFlight = Callable[[int], str]
Step = tuple[str, dict[str, Any]]


def _dated(before_flight: BeforeFlight) -> Callable[[str], str]:
    """The legal date of an act of TREATY_DAYS, by the act's name."""
    return lambda act: before_flight(TREATY_DAYS[act])


def judicial_steps(before_flight: BeforeFlight, *, suspended: bool) -> list[Step]:
    """Judicial's steps up to the SRE's grant (path under the case, body); when `suspended`,
    then an amparo whose suspension holds the surrender."""
    on = _dated(before_flight)
    steps: list[Step] = [
        ("formal-request", {"received_on": on("formal-request")}),
        ("hearing", {"held_on": on("hearing")}),
        ("judge-opinion", {"issued_on": on("judge-opinion"), "favorable": True}),
        ("sre-decision", {"decision": "granted", "decided_on": on("sre-decided"),
                          "notified_on": on("sre-notified")}),
    ]
    if suspended:
        steps += [("amparo", {"amparo_id": "AMP-1", "filed_on": on("amparo")}),
                  ("amparo-suspension", {"amparo_id": "AMP-1",
                                         "granted_on": on("amparo-suspension")})]
    return steps


def assurance_steps(case_id: str, before_flight: BeforeFlight, *, accept: bool) -> list[Step]:
    """Assurance's posts for the capital count c2 (path, body): the request, the US note, and
    Mexico's decision on it, which `accept`s it or finds it insufficient."""
    on = _dated(before_flight)
    case = f"/cases/{case_id}"
    return [
        (f"{case}/assurance-requests", {"charge_ids": ["c2"],
                                        "requested_on": on("assurance-requested")}),
        (f"{case}/assurances", {
            "assurance_id": "A-1", "scope": ["not_imposed", "not_carried_out"] if accept
            else ["not_sought", "not_carried_out"],
            "diplomatic_note_reference": f"US Embassy note {case_id}",
            "issuing_authority": "US Department of State",
            "issued_on": on("assurance-issued"), "charge_ids": ["c2"]}),
        (f"{case}/assurances/A-1/decision", {
            "accepted": accept, "decided_on": on("assurance-decided"),
            "reason": "sufficient under treaty art. 8" if accept
            else "the note does not bind the sentencing court"}),
    ]


def surrender_order(before_flight: BeforeFlight) -> dict[str, Any]:
    """The body of the full surrender order, once the amparo window has closed."""
    return {"ordered_on": _dated(before_flight)("surrender-order"), "kind": "full"}
