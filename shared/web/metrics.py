"""Prometheus metrics of a service: HTTP traffic, relay, consumers, outbox backlog."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .asgi import HttpMiddleware

if TYPE_CHECKING:
    from shared.service import ServiceRuntime

    from .routes import RouteTemplate


class _RuntimeCollector(Collector):
    """Reads the relay's and consumers' counters at scrape time."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[Metric]:
        relay = self._runtime.relay
        published = CounterMetricFamily("runway_relay_published",
                                        "Events published to Kafka by the outbox relay")
        published.add_metric([], relay.stats.published)
        yield published
        failures = CounterMetricFamily("runway_relay_failures", "Relay failures (retried)")
        failures.add_metric([], relay.stats.failures)
        yield failures
        leader = GaugeMetricFamily("runway_relay_leader", "1 if this relay holds the lock")
        leader.add_metric([], 1 if relay.is_leader else 0)
        yield leader
        consumed = CounterMetricFamily("runway_consumer_messages",
                                       "Messages handled by consumers, by outcome",
                                       labels=["consumer", "outcome"])
        for consumer in self._runtime.consumers:
            stats = consumer.stats
            for outcome, value in (("applied", stats.applied), ("duplicate", stats.duplicates),
                                   ("ignored", stats.ignored),
                                   ("dead_lettered", stats.dead_lettered),
                                   ("retried", stats.retries),
                                   ("restarted", stats.restarts)):
                consumed.add_metric([consumer.name, outcome], value)
        yield consumed


HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ServiceMetrics:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_RuntimeCollector(runtime))
        self.requests = Counter("runway_http_requests", "HTTP requests",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("runway_http_request_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry)

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        # The route template, not the raw path, so case ids don't explode the label set; the
        # auth middleware inside this one has matched it already.
        template: RouteTemplate | None = scope.get("state", {}).get("route_template")
        route = template.path if template else "unmatched"
        # Label values come from a closed set, so no caller can grow the series without end.
        method = scope["method"] if scope["method"] in HTTP_METHODS else "OTHER"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware(HttpMiddleware):
    """Counts and times every HTTP request, refused ones too (it is the outermost layer)."""

    def __init__(self, app: ASGIApp, *, metrics: ServiceMetrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.observe(scope, status, time.perf_counter() - started)
