"""The outbox relay draining a pre-filled outbox against the raw producer with the same
settings and the same CloudEvents headers, measured in the same run."""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import json
import time
from collections.abc import Iterator
from typing import Any

from aiokafka import AIOKafkaProducer

import shared.outbox.relay as relay_module
from shared.db import Database
from shared.eventstore import (
    NewEvent,
    RecordedEvent,
)
from shared.messaging.kafka import make_producer
from shared.outbox import OutboxRelay
from tests.bench.common import (
    EVENT_TYPE,
    LEADER_POLL_S,
    SOURCE,
    Cleanup,
    Config,
    CpuMeter,
    CpuSnapshot,
    ProducerFactory,
    _sql,
    append,
    config,
    contended,
    make_payloads,
    migrated_template,
    ratio,
    say,
    stopwatch,
    summarise_profile,
)
from tests.bench.kafka_raw import bench_raw_produce, relay_records
from tests.support.infra import kafka_bootstrap, pg_server_url

# ------------------------------------------------------------------------------ outbox relay


async def prefill_outbox(
    url: str, topic: str, total: int, cfg: Config, payloads: list[dict[str, Any]]
) -> float:
    """`total` events with outbox rows, 100 per new stream; returns the events/s achieved."""
    db = Database(url, pool_size=cfg.batch_concurrency)
    per_stream = cfg.batch_events
    streams = iter(range(total // per_stream))

    async def worker() -> None:
        for s in streams:
            events = [NewEvent(EVENT_TYPE, payloads[(s * per_stream + i) % len(payloads)])
                      for i in range(per_stream)]
            await append(db, f"relay-case-{s:05d}", 0, events, topic)

    started = time.monotonic()
    try:
        await asyncio.gather(*(worker() for _ in range(cfg.batch_concurrency)))
    finally:
        await db.dispose()
    rate = total / (time.monotonic() - started)
    await _sql(url, "VACUUM ANALYZE")
    return rate


async def reset_outbox(url: str) -> None:
    """Mark every outbox row unsent again, so each trial relays the same rows."""
    await _sql(url, "UPDATE outbox SET published_at = NULL, kafka_partition = NULL, "
                    "kafka_offset = NULL")
    await _sql(url, "VACUUM ANALYZE outbox")


async def relay_trial(
    db: Database,
    factory: ProducerFactory,
    cpu: CpuMeter,
    *,
    batch_size: int,
    events: int,
    relay_class: type[OutboxRelay] = OutboxRelay,
    profiler: cProfile.Profile | None = None,
    max_in_flight: int = 3,
) -> dict[str, Any]:
    """Run the real relay loop until `events` rows have been published and marked."""
    published = 0
    finished = asyncio.Event()
    finished_at = 0.0
    end_cpu: CpuSnapshot | None = None

    def on_published(count: int) -> None:
        nonlocal published, finished_at, end_cpu
        published += count
        if published >= events and not finished.is_set():
            finished_at, end_cpu = time.monotonic(), cpu.snap()
            finished.set()

    await cpu.quiet()
    relay = relay_class(db, factory, source=SOURCE, batch_size=batch_size, poll_interval=0.2,
                        max_in_flight=max_in_flight,
                        on_published=on_published)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        while not relay.is_leader:  # the producer has started; the relay loop begins now
            if running.done():
                running.result()
            await asyncio.sleep(LEADER_POLL_S)
        started, start_cpu = time.monotonic(), cpu.snap()
        if profiler is not None:
            profiler.enable()
        try:
            await asyncio.wait_for(finished.wait(), timeout=300)
        finally:
            if profiler is not None:
                profiler.disable()
    finally:
        stop.set()
        await running
    assert end_cpu is not None
    seconds = finished_at - started
    return {
        "per_s": round(published / seconds, 1),
        "published": published,
        "seconds": round(seconds, 3),
        "batch_size": batch_size,
        "batches": relay.stats.batches,
        "failures": relay.stats.failures,
        "pending_after": await relay.pending_count(),
        "cpu": cpu.usage(start_cpu, end_cpu),
    }


class PhaseTimer:
    """Wall time spent in each step of OutboxRelay.drain, without changing it (batches
    overlap, so marking runs while the next batch is read and sent):
    the relay's own methods are wrapped by a subclass, the module-level converters by a
    temporary rebinding, the producer's send by a wrapper around the real producer."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def phase(self, name: str) -> contextlib.AbstractContextManager[None]:
        """Adds the time the block takes to phase `name`."""
        def add(seconds: float) -> None:
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds

        return stopwatch(add)

    def relay_class(self) -> type[OutboxRelay]:
        timer = self

        class TimedRelay(OutboxRelay):
            async def drain(self, producer: AIOKafkaProducer) -> int:
                with timer.phase("publish_pending"):
                    return await super().drain(producer)

            async def _pending(self, in_flight: set[int]) -> list[Any]:
                with timer.phase("select_pending"):
                    return await super()._pending(in_flight)

            async def _mark_published(self, acked: list[tuple[int, int, int]]) -> None:
                with timer.phase("mark_published"):
                    await super()._mark_published(acked)

        return TimedRelay

    def producer_factory(self, factory: ProducerFactory) -> ProducerFactory:
        def make() -> AIOKafkaProducer:
            producer = factory()
            send = producer.send

            async def timed_send(*args: Any, **kwargs: Any) -> Any:
                with self.phase("producer_send_enqueue"):
                    return await send(*args, **kwargs)

            producer.send = timed_send
            return producer

        return make

    @contextlib.contextmanager
    def converters(self) -> Iterator[None]:
        # The relay module's own bindings, rebound for the duration of one trial.
        namespace = vars(relay_module)
        original_row, original_kafka = namespace["row_to_event"], namespace["to_kafka"]

        def row_to_event(row: Any) -> RecordedEvent:
            with self.phase("convert_row_to_event"):
                event: RecordedEvent = original_row(row)
                return event

        def to_kafka_timed(event: RecordedEvent, *, topic: str, key: str,
                           source: str) -> Any:
            with self.phase("convert_to_cloudevent"):
                return original_kafka(event, topic=topic, key=key, source=source)

        namespace.update(row_to_event=row_to_event, to_kafka=to_kafka_timed)
        try:
            yield
        finally:
            namespace.update(row_to_event=original_row, to_kafka=original_kafka)

    def report(self, wall: float) -> dict[str, Any]:
        s = dict(self.seconds)
        inside = s.get("publish_pending", 0.0)
        accounted = sum(v for k, v in s.items() if k != "publish_pending")
        s["await_broker_acks_and_rest"] = max(0.0, inside - accounted)
        s["outside_publish_pending"] = max(0.0, wall - inside)
        del s["publish_pending"]
        return {k: {"seconds": round(v, 3), "share": round(v / wall, 3)}
                for k, v in sorted(s.items(), key=lambda kv: -kv[1])}


async def bench_relay(
    server: str, template: str, bootstrap: str, cfg: Config, cpu: CpuMeter,
    payloads: list[dict[str, Any]], cleanup: Cleanup, topic: str,
) -> dict[str, Any]:
    url = await cleanup.database(server, template)
    say(f"relay: pre-filling the outbox with {cfg.relay_events} events of ~1 KB")
    fill_rate = await prefill_outbox(url, topic, cfg.relay_events, cfg, payloads)
    db = Database(url, pool_size=2)

    def factory() -> AIOKafkaProducer:
        return make_producer(bootstrap, "bench-relay")

    result: dict[str, Any] = {"events": cfg.relay_events, "prefill_events_per_s": round(fill_rate),
                              "producer": "shared.messaging.kafka.make_producer defaults"}
    try:
        say("relay: warm-up")
        await relay_trial(db, factory, cpu, batch_size=1000, events=cfg.relay_warmup_events)
        trials: dict[str, Any] = {}
        for batch_size in cfg.relay_batch_sizes:
            await reset_outbox(url)
            trial = await relay_trial(db, factory, cpu, batch_size=batch_size,
                                      events=cfg.relay_events)
            say(f"relay: batch_size={batch_size}: {trial['per_s']:.0f} msg/s "
                f"cpu={trial['cpu']}")
            trials[str(batch_size)] = trial
        best = max(trials.values(), key=lambda t: float(t["per_s"]))
        result.update(per_s=best["per_s"], batch_size_chosen=best["batch_size"], trials=trials)

        await reset_outbox(url)
        timer = PhaseTimer()
        with timer.converters():
            timed = await relay_trial(db, timer.producer_factory(factory), cpu,
                                      batch_size=best["batch_size"], events=cfg.relay_events,
                                      relay_class=timer.relay_class())
        result["phases"] = {"per_s_while_timed": timed["per_s"],
                            "wall_time": timer.report(timed["seconds"])}
        say(f"relay phases: {json.dumps(result['phases'])}")

        if cfg.profile:
            await reset_outbox(url)
            profiler = cProfile.Profile()
            profiled = await relay_trial(db, factory, cpu, batch_size=best["batch_size"],
                                         events=cfg.relay_events, profiler=profiler)
            result["profile"] = {"per_s_under_cprofile": profiled["per_s"],
                                 **summarise_profile(profiler)}
            say("relay profile: " + json.dumps(result["profile"]["own_time_by_group"]))

        if cfg.experiments:
            experiments: dict[str, Any] = {}
            for name, in_flight in (("repeat", 3), ("one_batch_in_flight", 1)):
                await reset_outbox(url)
                experiments[name] = await relay_trial(
                    db, factory, cpu, batch_size=best["batch_size"], events=cfg.relay_events,
                    max_in_flight=in_flight)
            reference = (float(best["per_s"]) + float(experiments["repeat"]["per_s"])) / 2
            result["experiments"] = {
                "reference_per_s": round(reference, 1),
                "summary": {name: {"per_s": run["per_s"],
                                   "gain_vs_baseline": round(run["per_s"] / reference, 3)}
                            for name, run in experiments.items()},
                "runs": experiments,
                "what": {"repeat": "the chosen trial again: run-to-run noise",
                         "one_batch_in_flight": ("max_in_flight=1: each batch's acks and "
                                                 "marks awaited before the next is read, as "
                                                 "the relay worked before")},
            }
            say("relay experiments: " + json.dumps(result["experiments"]["summary"]))
    finally:
        await db.dispose()
    return result




async def main() -> dict[str, Any]:
    """The relay vs the raw producer with the relay's settings and headers (goal >= 0.7)."""
    cfg, server, bootstrap, cpu = config(), pg_server_url(), kafka_bootstrap(), CpuMeter()
    cleanup = Cleanup(cpu)
    payloads = make_payloads(64, cfg.payload_bytes)
    try:
        topics = await cleanup.create_topics(bootstrap, ["relay", "raw.cloudevents"])
        raw = await bench_raw_produce(
            bootstrap, topics["raw.cloudevents"], cfg,
            relay_records(payloads, topics["raw.cloudevents"]), cpu,
            linger_ms=2, max_batch_size=512 * 1024)
        say(f"raw produce (relay settings, CloudEvents headers): {raw['per_s']:.0f} msg/s")
        async with migrated_template(server, cleanup) as template:
            relay = await bench_relay(server, template, bootstrap, cfg, cpu, payloads, cleanup,
                                      topics["relay"])
    finally:
        await cleanup.run()
    details = {"relay": relay, "raw_produce_relay_settings_cloudevents": raw}
    return {
        "relay_messages_per_s": relay["per_s"],
        "raw_aiokafka_produce_relay_settings_cloudevents_per_s": raw["per_s"],
        "ratio_relay_vs_raw_produce": ratio(relay["per_s"], raw["per_s"]),
        "goal_ratio": 0.7,
        "relay_batch_size_chosen": relay["batch_size_chosen"],
        "contended_measurements": contended(details),
        "details": details,
    }
