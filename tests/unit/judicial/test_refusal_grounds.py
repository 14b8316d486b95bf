"""The SRE's refusal carries its treaty ground (issue 14): nationality (art. 9, LEI art. 14)
with the domestic-prosecution record, political or military offence (art. 5), non bis in
idem (art. 6), lapse of time (art. 7), other. Nationality is a decision input: judicial holds
no nationality facts, so the clerk's statement is taken and recorded."""

from __future__ import annotations

from typing import Any

import pytest

from services.judicial import commands as cmd
from services.judicial.days import Policy
from services.judicial.domain import decide
from services.judicial.state import State

from .support import NOW, formal, hearing, opened, opinion, rule_of, run


def opined() -> State:
    return run(opened(), formal(), hearing(), opinion())


def refusal(**fields: Any) -> cmd.DecideExtradition:
    return cmd.DecideExtradition.model_validate({
        "decision": "refused", "decided_on": "2026-02-05", "notified_on": "2026-02-06",
        **fields})


def test_a_refusal_names_its_ground() -> None:
    assert rule_of(opined(), refusal()) == "refusal_ground_required"


@pytest.mark.parametrize("ground", ["political_or_military_offence", "non_bis_in_idem",
                                    "lapse_of_time", "other"])
def test_each_ground_is_recorded(ground: str) -> None:
    [refused, released] = decide(opined(), refusal(ground=ground), NOW, Policy())
    assert refused.payload["ground"] == ground
    assert released.payload["reason"] == "extradition_refused"


def test_the_nationality_ground_needs_a_national_and_the_domestic_prosecution_record() -> None:
    assert rule_of(opined(), refusal(ground="nationality")) \
        == "nationality_ground_needs_a_national"
    assert rule_of(opined(), refusal(ground="nationality", person_is_mexican=False,
                                     domestic_prosecution_referred_on="2026-02-05")) \
        == "nationality_ground_needs_a_national"
    assert rule_of(opined(), refusal(ground="nationality", person_is_mexican=True)) \
        == "nationality_ground_needs_a_national"
    [refused, _] = decide(opined(), refusal(ground="nationality", person_is_mexican=True,
                                            domestic_prosecution_referred_on="2026-02-05"),
                          NOW, Policy())
    assert refused.payload["person_is_mexican"] is True
    assert refused.payload["domestic_prosecution_referred_on"] == "2026-02-05"


def test_an_unknown_ground_is_a_422_naming_the_field() -> None:
    with pytest.raises(ValueError, match="ground"):
        refusal(ground="mood")


def test_a_domestic_prosecution_referral_dated_in_the_future_is_refused() -> None:
    """Review s10 #6: the referral is the record of an act done (treaty art. 9(2)); a future
    day is refused like every other step date, and nothing is recorded."""
    assert rule_of(opined(), refusal(ground="nationality", person_is_mexican=True,
                                     domestic_prosecution_referred_on="2030-01-01")) \
        == "date_in_future"
    today = NOW.date().isoformat()  # today is not the future
    [refused, _] = decide(opined(), refusal(ground="nationality", person_is_mexican=True,
                                            domestic_prosecution_referred_on=today),
                          NOW, Policy())
    assert refused.payload["domestic_prosecution_referred_on"] == today
