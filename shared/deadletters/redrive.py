"""An operator's decisions on a dead letter: re-drive it through its consumer, or discard it.

A re-drive replays the stored message through the consumer that dead-lettered it, in one
transaction with the letter's row: the same routing and handler, the same inbox claim (so an
event already applied has no second effect), and the row marked `redriven`. If the handler
fails again nothing of it is kept; the row stays `waiting` with the new error and one more
attempt, and the operator is answered 409.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.structs import ConsumerRecord

from shared import errortext
from shared.consumer import ConsumerRuntime, HandlerFailed, Replayed
from shared.errors import NotFound, RuleViolation
from shared.messaging.cloudevents import MalformedEvent
from shared.service import ServiceRuntime

from . import store
from .schema import DeadLetterStatus

# The refusals of the dead-letter commands (HTTP 409 naming them).
REDRIVE_FAILED = "dead_letter_redrive_failed"
ALREADY_DISCARDED = "dead_letter_discarded"
ALREADY_REDRIVEN = "dead_letter_redriven"
UNKNOWN_CONSUMER = "dead_letter_consumer_unknown"


@dataclass(frozen=True)
class Redriven:
    letter_id: int
    outcome: str  # a Replayed value, or "already_redriven" for a second re-drive


def _message(letter: store.Stored) -> ConsumerRecord[bytes, bytes]:
    """The stored message as the consumer read it from Kafka."""
    return ConsumerRecord(letter.topic, letter.partition, letter.offset, 0, 0, letter.key,
                          letter.value, None, len(letter.key or b""), len(letter.value or b""),
                          letter.headers)


def _consumer(runtime: ServiceRuntime, name: str) -> ConsumerRuntime:
    for consumer in runtime.consumers:
        if consumer.name == name:
            return consumer
    raise RuleViolation(UNKNOWN_CONSUMER, f"this service has no consumer {name!r} any more: "
                                          "discard the dead letter with a reason")


async def redrive(runtime: ServiceRuntime, letter_id: int, by: str) -> Redriven:
    """Replay the dead letter; a second re-drive of one already re-driven changes nothing."""
    try:
        async with runtime.command() as conn:
            letter = await store.load(conn, letter_id, lock=True)
            if letter is None:
                raise NotFound("dead letter", str(letter_id))
            if letter.status is DeadLetterStatus.REDRIVEN:
                return Redriven(letter_id, "already_redriven")
            if letter.status is DeadLetterStatus.DISCARDED:
                raise RuleViolation(ALREADY_DISCARDED, f"dead letter {letter_id} was "
                                                       "discarded; it is not applied")
            replayed = await _consumer(runtime, letter.consumer).replay(conn, _message(letter))
            await store.resolve(conn, letter_id, DeadLetterStatus.REDRIVEN, by=by,
                                at=runtime.clock.now(), note=_note(replayed))
    except (HandlerFailed, MalformedEvent) as failure:
        error = failure.error if isinstance(failure, HandlerFailed) else failure
        reason = errortext.message(error)[:2000]
        async with runtime.database.transaction() as conn:
            await store.note_failed_redrive(conn, letter_id, type(error).__name__, reason,
                                            runtime.clock.now())
        raise RuleViolation(REDRIVE_FAILED, f"dead letter {letter_id} failed again "
                                            f"({type(error).__name__}: {reason}); it is still "
                                            "waiting") from error
    return Redriven(letter_id, replayed.value)


def _note(replayed: Replayed) -> str:
    return {Replayed.APPLIED: "re-driven: applied",
            Replayed.ALREADY_APPLIED: "re-driven: the event had already been applied",
            Replayed.IGNORED: "re-driven: no handler of the consumer reads it now"}[replayed]


async def discard(runtime: ServiceRuntime, letter_id: int, by: str, reason: str) -> None:
    """Resolve the dead letter without applying it; the reason is kept on the row."""
    async with runtime.command() as conn:
        letter = await store.load(conn, letter_id, lock=True)
        if letter is None:
            raise NotFound("dead letter", str(letter_id))
        if letter.status is DeadLetterStatus.REDRIVEN:
            raise RuleViolation(ALREADY_REDRIVEN, f"dead letter {letter_id} was re-driven "
                                                  "(applied); it cannot be discarded")
        if letter.status is DeadLetterStatus.DISCARDED:
            return  # discarding twice: the first reason stands
        await store.resolve(conn, letter_id, DeadLetterStatus.DISCARDED, by=by,
                            at=runtime.clock.now(), note=reason)
