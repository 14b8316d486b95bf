"""The assurance service in-process (on the store of `any_store_url` and real Kafka) at each
test module's `clock`, and an assurance officer's HTTP client on it."""

from __future__ import annotations

from services.assurance.service import SPEC
from tests.support.service_app import clerk_fixtures

runtime, client = clerk_fixtures(SPEC, "assurance_officer", "officer-4")
