"""An amendment's legal time (`amended_on`, the superseding indictment's date) never puts it
before the charges it replaces."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.intake import domain
from shared.pii.sealing import Sealed
from tests.support.requests import request
from tests.support.stored import as_recorded

ENTERED = datetime(2025, 8, 12, 21, 0, tzinfo=UTC)  # 15:00 in Mexico City


def entered_request() -> domain.CaseState:
    clear = domain.ClearRequest.model_validate({"case_id": "RWY-1", **request()})
    sealed = Sealed(nonce="bm9uY2Vub25jZTEy", ciphertext="Y2lwaGVydGV4dGFuZHRhZ3RhZw")
    submitted = domain.submitted(clear, "PER-1", sealed)
    [stored] = as_recorded(submitted, stream_id="RWY-1", stream_type="intake_case", at=ENTERED)
    return domain.evolve(domain.initial(), stored)


def test_an_amendment_dated_the_day_of_a_request_dated_by_its_entry_comes_after_it() -> None:
    """Review s11: dated at the start of its day, it came at midnight, before the request
    entered at 15:00 that day, in every timeline in legal order."""
    state = entered_request()
    assert state.request is not None
    charges = (*state.request.charges,
               state.request.charges[0].model_copy(update={"charge_id": "c9"}))
    [amendment] = domain.amend_charges(state, charges, "superseding indictment",
                                       date(2025, 8, 12), date(2025, 8, 12))
    assert amendment.occurred_at == ENTERED
    [later] = domain.amend_charges(state, charges, "superseding indictment",
                                   date(2025, 8, 13), date(2025, 8, 13))
    assert later.occurred_at == datetime(2025, 8, 13, 6, 0, tzinfo=UTC)  # its day's start
