"""The court service in-process (on the store of `any_store_url` and real Kafka) at each test
module's `clock`, and a court clerk's HTTP client on it."""

from __future__ import annotations

from services.court.service import SPEC
from tests.support.service_app import clerk_fixtures

runtime, client = clerk_fixtures(SPEC, "court_clerk", "clerk-12")
