"""Each judicial event declares its legal time once, on its class; the case view's step date
and the auditor's check both read that declaration (issue 12: adding a step is one module)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.judicial import events as ev
from shared.audit.legal_times import legal_time_of
from shared.legal_time_kinds import Kind

MODELS = sorted(ev.EVENT_MODELS.values(), key=lambda model: model.EVENT_TYPE)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.EVENT_TYPE)
def test_the_step_date_is_a_date_field_of_the_event(model: type[ev.JudicialEvent]) -> None:
    field = model.model_fields.get(model.act_date_field())
    assert field is not None, f"{model.EVENT_TYPE}: no field {model.act_date_field()}"
    assert field.annotation in (date, datetime, date | None, datetime | None)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.EVENT_TYPE)
def test_the_auditor_reads_the_declaration_on_the_class(model: type[ev.JudicialEvent]) -> None:
    assert legal_time_of(model.EVENT_TYPE, ev.SCHEMA_VERSION) is model.LEGAL_TIME


def test_a_document_event_shows_its_document_date_as_the_step_date() -> None:
    assert ev.SurrenderOrdered.LEGAL_TIME.kind is Kind.DOCUMENT
    assert ev.SurrenderOrdered.act_date_field() == "ordered_on"
    # A derived event names the field it shows: intake's request has no date of its own here.
    assert ev.CaseOpened.LEGAL_TIME.kind is Kind.CAUSE
    assert ev.CaseOpened.act_date_field() == "opened_at"
