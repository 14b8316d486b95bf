"""Fuzzing one app from its own OpenAPI document with schemathesis, in-process.

Schemathesis generates the requests (valid ones, and ones that break the schema) from the
document the app serves; we send them through httpx's ASGI transport to the app, authorised as
the first role the permission matrix allows on each operation, and run schemathesis' checks on
each answer: never a 5xx, only documented status codes and content types, bodies matching the
documented schemas, and schema-breaking requests refused.

Schemathesis' own ASGI transport runs the app in a fresh event loop per call, which a runtime
holding a database pool cannot follow; so the calls are made here, on one loop that this
harness owns and drives from Hypothesis (run it in its own thread: `run_in_thread`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Verbosity, given, reject, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.formats import get_default_format_strategies

from shared.security import load_matrix
from tests.support.auth import auth_headers

T = TypeVar("T")
# Values at the ends of the calendar, where time arithmetic overflows; schemathesis' own
# generators rarely reach them (an instant whose offset takes it past year 9999 in UTC was a
# 500 they missed). A quarter of generated dates and instants are drawn from these.
EDGE_VALUES = {
    "date": ["0001-01-01", "9999-12-31", "2024-02-29"],
    "date-time": ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
                  "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00Z",
                  "2024-02-29T23:30:00-14:00"],
}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]
BASE_URL = "http://fuzz"
# A request that breaks the schema may also be refused for its size (413, 414, 431).
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {
    "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "413", "414",
                          "415", "422", "428", "429", "431"]}}})


@dataclass(frozen=True)
class Budget:
    examples: int            # per operation and generation mode (valid, schema-breaking)
    derandomize: bool = True  # the normal suite repeats the same cases; `make fuzz` explores


@dataclass(frozen=True)
class Failure:
    operation: str
    message: str


@dataclass
class Report:
    service: str
    operations: int = 0
    calls: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)

    def line(self) -> str:
        statuses = " ".join(f"{code}:{n}" for code, n in sorted(self.statuses.items()))
        return (f"{self.service:<10} operations {self.operations:>3}  calls {self.calls:>6}  "
                f"failures {len(self.failures):>2}  {self.seconds:>4.0f} s  statuses [{statuses}]")


@dataclass(frozen=True)
class Started:
    """An app under test, the ids of the things seeded in it (by path parameter name, so
    half the generated calls reach a real case or flight), and how to shut it down."""

    service: str
    app: FastAPI
    known_ids: Mapping[str, str]
    close: Callable[[], Awaitable[None]]


class LoopDriver:
    """One event loop for the app, driven from synchronous Hypothesis code."""

    def __init__(self) -> None:
        self.runner = asyncio.Runner()

    def run(self, work: Awaitable[T]) -> T:
        return self.runner.run(_awaited(work))

    def close(self) -> None:
        self.runner.close()


async def _awaited(work: Awaitable[T]) -> T:
    return await work


def run_in_thread(work: Callable[[], T]) -> T:
    """`work` in a thread of its own, so its event loop never meets the caller's."""
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(work())
        except BaseException as error:  # handed back to the caller below
            errors.append(error)

    thread = threading.Thread(target=target, name="fuzz")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def include_edge_values() -> None:
    defaults = get_default_format_strategies()
    for name, edges in EDGE_VALUES.items():
        usual = defaults[name]
        schemathesis.openapi.format(name, st.one_of(usual, usual, usual, st.sampled_from(edges)))


def fuzz_app(driver: LoopDriver, started: Started, budget: Budget) -> Report:
    include_edge_values()
    report = Report(started.service)
    began = time.monotonic()
    schema = schemathesis.openapi.from_dict(started.app.openapi(), config=CONFIG)
    matrix = load_matrix()
    transport = httpx.ASGITransport(app=started.app, raise_app_exceptions=False)
    client = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
    log = ErrorLog()
    logging.getLogger().addHandler(log)
    try:
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                raise result.err()  # the document itself is broken
            operation = result.ok()
            rule = matrix.rule(started.service, operation.method.upper(), operation.path)
            headers = {} if rule is None or rule.public else auth_headers(rule.roles[0])
            report.operations += 1
            _fuzz_operation(driver, client, operation, headers, started.known_ids, budget,
                            report, log.records)
    finally:
        logging.getLogger().removeHandler(log)
        driver.run(client.aclose())
        report.seconds = time.monotonic() - began
    return report


class ErrorLog(logging.Handler):
    """The errors (with tracebacks) the app logs while a call is answered."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def _fuzz_operation(driver: LoopDriver, client: httpx.AsyncClient, operation: Any,
                    headers: dict[str, str], known_ids: Mapping[str, str], budget: Budget,
                    report: Report, errors: list[str]) -> None:
    names = {p.name for p in operation.path_parameters}
    seeded = {name: value for name, value in known_ids.items() if name in names}
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies = [operation.as_strategy(generation_mode=mode)]
        if seeded and mode is GenerationMode.POSITIVE:
            strategies.append(operation.as_strategy(generation_mode=mode,
                                                    path_parameters=seeded))

        @settings(max_examples=budget.examples, derandomize=budget.derandomize,
                  database=None, deadline=None, print_blob=False, verbosity=Verbosity.quiet,
                  suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(strategies))
        def attempt(case: Any) -> None:
            # A schema-breaking header may be a missing or malformed token: keep it then.
            breaks_headers = _breaks(case, ParameterLocation.HEADER)
            errors.clear()
            response = driver.run(send(client, case, {} if breaks_headers else headers))
            report.calls += 1
            report.statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except BaseExceptionGroup as failure:
                if errors:  # what the server logged, to show where a 5xx came from
                    failure.add_note("server log:\n" + errors[-1])
                raise

        try:
            attempt()
        except Unsatisfiable:
            pass  # nothing in the operation can break the schema (e.g. no parameters)
        except (Exception, BaseExceptionGroup) as error:  # the smallest failing case
            detail = "\n".join([str(error), *getattr(error, "__notes__", [])]) if isinstance(
                error, BaseExceptionGroup) else "".join(traceback.format_exception(error))
            report.failures.append(Failure(operation.label, f"[{mode.value}] {detail}"))


def _breaks(case: Any, location: ParameterLocation) -> bool:
    component = case.meta.components.get(location) if case.meta else None
    return component is not None and component.mode is GenerationMode.NEGATIVE


async def send(client: httpx.AsyncClient, case: Any, headers: dict[str, str]
               ) -> httpx.Response:
    """The case as schemathesis would put it on the wire, authorised as `headers` say."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    generated = {k: v for k, v in kwargs.pop("headers", {}).items()
                 if not (headers and k.lower() == "authorization")}
    try:
        prepared = requests.Request(headers={**generated, **headers}, **kwargs).prepare()
    except ValueError:  # no HTTP client puts this on the wire (e.g. a non-Latin-1 header)
        reject()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    assert body is None or isinstance(body, bytes)  # JSON, form or multipart: all bytes
    assert prepared.method is not None and prepared.url is not None
    # Header values as bytes: HTTP allows Latin-1 there, httpx would insist on ASCII.
    raw_headers = [(name.encode("latin-1"), _as_bytes(value))
                   for name, value in prepared.headers.items()]
    return await client.request(prepared.method, prepared.url, headers=raw_headers,
                                content=body)


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")
