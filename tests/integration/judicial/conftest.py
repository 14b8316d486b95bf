"""Judicial in-process for this folder's modules: the service on the module's store (both
stores unless a module narrows `any_store_url`) at the module's `clock`, its scheduler loop
polling every 0.05 s, and an HTTP client acting as a judicial clerk."""

from __future__ import annotations

from services.judicial.service import SPEC
from services.judicial.settings import JudicialSettings, configure
from tests.support.service_app import clerk_fixtures

runtime, client = clerk_fixtures(
    SPEC, "judicial_clerk", "clerk-7",
    configure=lambda rt: configure(rt, JudicialSettings(scheduler_interval_s=0.05)))
