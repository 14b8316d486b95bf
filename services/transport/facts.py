"""What transport learns from its neighbours, as plain values (inputs.py reads them off Kafka).

Each fact is one thing a judicial, assurance or intake event says about a person's
eligibility; `Input` adds where it came from, so the noted event can name its cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal


@dataclass(frozen=True)
class PersonKnown:
    """intake.request_submitted / judicial.case_opened: who (the person's id; names stay
    sealed, shown from person_names), on which basis, for where."""

    person_id: str | None
    legal_basis: str | None
    district: str | None


@dataclass(frozen=True)
class SurrenderOrdered:
    kind: str  # full | temporary | deferred
    ordered_on: date
    pickup_deadline_on: date
    district: str
    return_obligation: bool


@dataclass(frozen=True)
class TransferAuthorized:
    authorized_at: datetime
    district: str


@dataclass(frozen=True)
class SuspensionGranted:
    amparo_id: str
    pickup_paused: bool = False  # judicial paused the pickup window for it


@dataclass(frozen=True)
class AmparoDenied:
    amparo_id: str
    active_suspensions: tuple[str, ...] | None  # judicial's list afterwards, when it sends one
    # When the suspension had paused the pickup window, judicial moves its deadline.
    pickup_deadline_on: date | None = None


@dataclass(frozen=True)
class AmparoGranted:
    """The suit succeeded: the surrender order is annulled, unless the grant is reversed on
    appeal (judicial then sends the matter back to the SRE)."""

    amparo_id: str
    ruled_on: date | None


@dataclass(frozen=True)
class ClearanceGranted:
    basis: str | None
    charge_ids: tuple[str, ...]


@dataclass(frozen=True)
class ClearanceWithdrawn:
    reason: str | None
    charge_ids: tuple[str, ...]


@dataclass(frozen=True)
class Released:
    released_on: date
    reason: str


@dataclass(frozen=True)
class ReleaseVoided:
    """Judicial showed a release void: the step that stopped the provisional clock came in
    time, though entered after the lapse, so the detention never lapsed."""

    released_on: date


@dataclass(frozen=True)
class PickupExpired:
    deadline_on: date


@dataclass(frozen=True)
class ExpiryVoided:
    """Judicial showed its expiry (and its release) void: an appeal filed in time kept the
    suspension it had ended in force (`appeal`), an act dated before the expiry and entered
    after it held or moved the window (`earlier_act`), or the handover came first
    (`handover`). `act_on` is that act's date."""

    deadline_on: date
    release_voided: bool
    act_on: date
    cause: Literal["appeal", "earlier_act", "handover"] = "appeal"


@dataclass(frozen=True)
class PlacedAtDisposal:
    """Placed at the US's disposal after the order: the pickup window's deadline moves."""

    placed_on: date
    pickup_deadline_on: date


@dataclass(frozen=True)
class BasisChanged:
    """A treaty case overtaken by a national-security transfer: the suspensions that were in
    force no longer hold the person (judicial records them as overtaken)."""

    legal_basis: str
    changed_on: date
    overtaken_suspensions: tuple[str, ...]


Fact = (PersonKnown | SurrenderOrdered | TransferAuthorized | SuspensionGranted | AmparoDenied
        | AmparoGranted | ClearanceGranted | ClearanceWithdrawn | Released | PickupExpired
        | ExpiryVoided | ReleaseVoided | PlacedAtDisposal | BasisChanged)


@dataclass(frozen=True)
class Input:
    case_id: str
    fact: Fact
    source_event_type: str  # the ce_type, e.g. "judicial.surrender_ordered.v1"
    source_event_id: str
    occurred_at: datetime  # when the fact happened in the world (the source event's time)
    # Where in its source's order the fact stands: the source event's stream, as
    # "<stream type>:<stream id>", and its version there (None: not known). The fold lets
    # an older fact of a stream, noted after a newer one, change nothing the newer one set.
    source_stream: str | None = None
    source_version: int | None = None
