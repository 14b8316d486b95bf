"""What every service's event payloads share: the base model and the fields several of them
publish with the same meaning.

It depends on pydantic alone, so that an event contract imports nothing else of the platform.
The fields' descriptions are part of the published schemas (contracts/schemas): change one and
`make contracts` shows every schema that changes with it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    """A payload, or a part of one, or a file Runway writes and reads back: immutable once
    built, and refusing a field it does not declare (a producer's typo fails where it is made,
    not in a consumer)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# The person behind a case, as the events of services other than intake carry it. Since
# personal data was sealed (intake.request_submitted v2), only the id travels; the name field
# stays in the schemas so that older events remain readable.
SealedPersonId = Annotated[str | None, Field(
    description="the person's id in intake's sealed request (none for requests recorded "
                "before personal data was sealed)")]
RetiredPersonName = Annotated[str | None, Field(
    description="no longer filled: names stay sealed in intake's request (see person_id); "
                "older events may carry one")]
