"""Every service's HTTP API, fuzzed from its own OpenAPI document (schemathesis), in-process
on a real PostgreSQL database and Kafka: no request, valid or not, gets a 5xx; every answer's
status code, content type and body are the ones the document declares; and requests that
break the schema are refused. A small fixed set of cases here (derandomized, so a failure
repeats); `make fuzz` runs many more, freshly random."""

from __future__ import annotations

from datetime import UTC

import pytest
from fastapi import FastAPI
from pydantic import AwareDatetime, BaseModel

from shared.web.errors import install_error_handlers
from tests.fuzz.harness import Budget, LoopDriver, Report, Started, fuzz_app, run_in_thread
from tests.fuzz.targets import SERVICES, fuzz_services

BUDGET = Budget(examples=8, derandomize=True)


@pytest.mark.infra
@pytest.mark.parametrize("service", SERVICES)
async def test_fuzzing_the_openapi_document_finds_nothing(service: str, pg_server: str,
                                                          kafka: str) -> None:
    [report] = run_in_thread(lambda: fuzz_services([service], pg_server, kafka, BUDGET))
    assert report.operations > 0 and report.calls >= report.operations
    assert not report.failures, "\n\n".join(f"{f.operation}: {f.message}"
                                            for f in report.failures)


class Departure(BaseModel):
    at: AwareDatetime


def app_with_a_bug() -> FastAPI:
    """An instant whose offset takes it past year 9999 in UTC: transport's old 500."""
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/departures")
    async def depart(departure: Departure) -> dict[str, str]:
        return {"utc": departure.at.astimezone(UTC).isoformat()}

    return app


async def test_the_fuzzer_reports_a_server_error_with_the_server_log() -> None:
    async def nothing() -> None:
        return None

    def fuzz() -> Report:
        driver = LoopDriver()
        try:
            return fuzz_app(driver, Started("toy", app_with_a_bug(), {}, nothing), BUDGET)
        finally:
            driver.close()

    report = run_in_thread(fuzz)
    [failure] = report.failures
    assert failure.operation == "POST /departures"
    assert "Server error" in failure.message and "OverflowError" in failure.message
