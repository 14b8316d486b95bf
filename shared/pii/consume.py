"""What a consuming service does with the personal data in intake's events.

* intake.request_submitted (v1 or v2): the display name goes into person_names (opened with
  the person's key for v2; v1 carried it in clear), beside whatever the service's own handler
  does with the request, in the same transaction;
* intake.personal_data_erased: the name is blanked for good.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.consumer import Handler
from shared.messaging.cloudevents import ConsumedEvent, ce_type
from shared.messaging.tolerant import CaseEvent

from . import names
from .person import PERSON_CONTEXT, PersonRef, person_of_request
from .vault import PersonalDataVault

REQUEST_SUBMITTED = "intake.request_submitted"
REQUEST_SUBMITTED_TYPES = (ce_type(REQUEST_SUBMITTED, 1), ce_type(REQUEST_SUBMITTED, 2))
PERSONAL_DATA_ERASED_V1 = ce_type("intake.personal_data_erased", 1)


class _Erasure(CaseEvent):
    person_id: str | None = None
    erased_at: datetime


async def display_name(vault: PersonalDataVault, person: PersonRef) -> str | None:
    """The name to show for a request's person: opened with their key (ERASED once erased),
    or the legacy v1 name in clear."""
    if person.sealed is None or person.person_id is None:
        return person.legacy_name
    opened = await vault.open(person.person_id, PERSON_CONTEXT, person.sealed)
    return opened.display_name


def recording_names(handler: Handler, vault: Callable[[], PersonalDataVault]) -> Handler:
    """`handler` for intake.request_submitted, plus the person's name into person_names."""
    async def on_request(event: ConsumedEvent, conn: AsyncConnection) -> None:
        await handler(event, conn)
        case_id = CaseEvent.model_validate(event.data).case_id
        person = person_of_request(event.data, event.schema_version)
        name = await display_name(vault(), person)
        await names.record_name(conn, case_id, person.person_id, name)

    return on_request


async def on_personal_data_erased(event: ConsumedEvent, conn: AsyncConnection) -> None:
    erasure = _Erasure.model_validate(event.data)
    await names.erase_name(conn, erasure.case_id, erasure.person_id, erasure.erased_at)


def personal_data_handlers(on_request: Handler, vault: Callable[[], PersonalDataVault]
                           ) -> dict[str, Handler]:
    """Handlers of a consumer of intake's topic that shows names: `on_request` for both
    versions of the request (recording the name too), and the erasure."""
    recording = recording_names(on_request, vault)
    return {**dict.fromkeys(REQUEST_SUBMITTED_TYPES, recording),
            PERSONAL_DATA_ERASED_V1: on_personal_data_erased}
