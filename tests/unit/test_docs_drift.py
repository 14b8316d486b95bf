"""The docs against the code they describe, where a drift can be found mechanically: the
judicial README's step count, the configuration page's variables, and each service README's
list of the events it publishes (review of the docs, 5 Dec 2026)."""

from __future__ import annotations

import importlib
import re

from shared.settings import REPO_ROOT


def _read(relative: str) -> str:
    return (REPO_ROOT / relative).read_text(encoding="utf-8")


def test_judicial_readme_counts_the_steps_api_has() -> None:
    from services.judicial import api

    match = re.search(r"for each of the (\d+) steps", _read("services/judicial/README.md"))
    assert match, "the step count sentence moved"
    assert int(match.group(1)) == len(api.STEPS), (
        f"README says {match.group(1)} steps; services/judicial/api.STEPS has {len(api.STEPS)}: "
        f"{[s.path for s in api.STEPS]}")


def test_configuration_page_lists_every_service_variable() -> None:
    from shared.security.settings import AuthSettings
    from shared.settings import ServiceSettings

    page = _read("docs/configuration.md")
    internal = {"RUNWAY_SERVICE"}  # set per process by the stack runner, not by a user
    wanted = {f.validation_alias for cls in (ServiceSettings, AuthSettings)
              for f in cls.model_fields.values()
              if isinstance(f.validation_alias, str)} - internal
    missing = sorted(v for v in wanted if f"`{v}`" not in page)
    assert not missing, f"docs/configuration.md does not list {missing}"


def _published_names(paragraph: str) -> set[str]:
    names = set(re.findall(r"`(?:[a-z]+\.)?([a-z][a-z_]+)`", paragraph))
    # `a_b_c` / `_d` / `_e` is shorthand for a_b_c, a_b_d, a_b_e
    for base, tail in re.findall(r"`(?:[a-z]+\.)?([a-z][a-z_]+)`((?:\s*/\s*`_[a-z_]+`)+)",
                                 paragraph):
        stem = base.rsplit("_", 1)[0]
        names |= {stem + suffix for suffix in re.findall(r"`(_[a-z_]+)`", tail)}
    return names


def test_service_readmes_list_every_event_they_publish() -> None:
    gaps = {}
    for service in ("intake", "judicial", "assurance", "transport", "court"):
        text = _read(f"services/{service}/README.md")
        match = re.search(r"\*\*Publishes\*\*(.*?)\n- \*\*Consumes", text, re.S)
        assert match, service
        listed = _published_names(match.group(1))
        models = importlib.import_module(f"services.{service}.events").EVENT_MODELS
        types = models.keys() if isinstance(models, dict) else [m.EVENT_TYPE for m in models]
        missing = sorted(t.split(".", 1)[1] for t in types if t.split(".", 1)[1] not in listed)
        if missing:
            gaps[service] = missing
    assert not gaps, f"README 'Publishes' lists omit: {gaps}"
