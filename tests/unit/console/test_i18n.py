"""Every label in both languages, the language chosen per user, and the Spanish rule texts."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from services.console import i18n, rule_texts, submission
from services.console.steps import STEPS
from services.intake.read_model import CaseStatus
from services.intake.responses import BatchItem
from services.judicial.responses import CaseView, DutyView, PeriodView
from services.judicial.state import ClockKind, Status

TEMPLATES = Path(i18n.__file__).resolve().parent / "templates"
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def test_every_label_is_written_in_english_and_spanish() -> None:
    missing = {key: sorted(set(i18n.LANGUAGES) - {k for k, v in texts.items() if v.strip()})
               for key, texts in i18n.catalogue().items()}
    assert {k: v for k, v in missing.items() if v} == {}


def test_every_label_a_page_or_form_names_exists() -> None:
    keys = set(i18n.catalogue())
    named = {m for path in TEMPLATES.glob("*.html") for m in LITERAL_KEY.findall(path.read_text())}
    # A prefix the page completes (`"case.release_voided." ~ cause`): the keys it completes
    # to are checked with the values the API answers, below.
    named = {key for key in named if not key.endswith(".")}
    named |= {f"step.{step.id}" for step in STEPS.values()}
    named |= {f"field.{item.name}" for step in STEPS.values() for item in step.inputs}
    fields = [*submission.PERSON, *submission.REQUEST, *submission.charge_fields(0),
              *submission.document_fields(0)]
    named |= {f.label_key for f in fields}
    named |= {f"choice.{c}" for f in fields for c in f.choices}
    named |= {f"choice.{c}" for step in STEPS.values() for i in step.inputs for c in i.choices}
    assert sorted(named - keys) == []


def test_every_status_and_clock_the_apis_answer_has_a_label() -> None:
    keys = set(i18n.catalogue())
    wanted = {f"status.{s}" for s in typing.get_args(CaseStatus)}
    wanted |= {f"judicial_status.{s.value}" for s in Status}
    wanted |= {f"clock.{k.value}" for k in ClockKind}
    # judicial's clocks list shows its hearing periods and duties too
    for shown in (PeriodView, DutyView):
        wanted |= {f"clock.{k}" for k in typing.get_args(shown.model_fields["kind"].annotation)}
    # every outcome intake answers a batch item with
    for item in typing.get_args(typing.get_args(BatchItem)[0]):
        wanted |= {f"batch_outcome.{o}" for o in typing.get_args(
            item.model_fields["outcome"].annotation) if o != "created"}
    # the case page's notice of a void release, one text per cause judicial names
    causes = typing.get_args(CaseView.model_fields["release_voided_cause"].annotation)
    wanted |= {f"case.release_voided.{c}" for c in typing.get_args(causes[0])}
    assert sorted(wanted - keys) == []


def test_the_users_choice_wins_then_the_browsers_preference_then_english() -> None:
    assert i18n.choose("es", "en-US,en;q=0.9") == "es"
    assert i18n.choose(None, "fr-FR, es-MX;q=0.8, en;q=0.5") == "es"
    assert i18n.choose(None, "en-GB,es;q=0.9") == "en"
    assert i18n.choose(None, "es;q=0, en;q=0.1") == "en"
    assert i18n.choose("klingon", "de") == "en"
    assert i18n.choose(None, None) == "en"


def test_labels_are_filled_in_and_unknown_api_values_shown_as_written() -> None:
    t = i18n.translator("es")
    assert t("cases.found", count=3) == "3 casos encontrados"
    assert i18n.label_or_value(t, "status", "surrender_ordered") == "Entrega ordenada"
    assert i18n.label_or_value(t, "status", "some_new_status") == "some new status"


def test_every_rule_in_the_registry_has_a_spanish_statement() -> None:
    """Other services add rules to their books; this names the ones still to translate."""
    missing = rule_texts.missing_spanish()
    assert not missing, (f"{len(missing)} rules have no Spanish statement in "
                         f"{rule_texts.CATALOGUE.name}: {', '.join(missing)}")


def test_a_rule_is_shown_from_its_book_in_the_users_language_and_an_unknown_id_as_itself(
) -> None:
    english = rule_texts.shown("amparo_suspension_active", "en")
    spanish = rule_texts.shown("amparo_suspension_active", "es")
    assert english.statement.startswith("an amparo suspension is in force")
    assert spanish.statement.startswith("hay una suspensión de amparo vigente")
    assert english.source == spanish.source and "Ley de Amparo" in (english.source or "")
    unknown = rule_texts.shown("no_such_rule", "es")
    assert (unknown.statement, unknown.source) == ("no_such_rule", None)
