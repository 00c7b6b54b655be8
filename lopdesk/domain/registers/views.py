"""What the register's reads and writes hand back: plain dataclasses and tuples, no session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from lopdesk.domain.models import RegisterEntry


@dataclass
class EntryView:
    id: int
    level_id: str
    seq: int
    requested_at: datetime
    child_id: str
    priority_group: str
    contingent: str
    status: str
    reason: str | None
    out_of_order: bool
    overcapacity_category: str | None
    version: int
    rule: str | None = None
    message: str = ""
    # A withdrawal freed a place (the line held one: realised within capacity), to offer
    # in waiting-list order (WL-01).
    freed_place: bool = False


class EntryRow(NamedTuple):
    id: int
    seq: int
    requested_at: datetime
    child_id: str
    child_name: str
    priority_group: str
    contingent: str
    status: str
    reason: str | None
    out_of_order: bool
    overcapacity_category: str | None
    waitlist_position: int | None
    version: int


class EventRow(NamedTuple):
    id: int
    at: datetime
    user: str
    kind: str
    from_status: str | None
    to_status: str | None
    reason: str
    rule_id: str | None


class OfferEvent(NamedTuple):
    """A step of an offer of a freed place to a line (WL-01): `kind` offered | accepted |
    declined | ended (its line was replaced) | expired (open past its reply deadline)."""

    at: datetime
    user: str  # who made or answered it ("" for an expiry)
    kind: str

    # which offer and by which rule; the reply deadline of an offer made or expired
    offer_id: int
    rule_id: str
    reply_by: datetime | None = None
    reason: str = ""  # why an offer ended unanswered


class NoticeEvent(NamedTuple):
    """The delivery of the line's refusal notice, as recorded (NGI-02..04)."""

    at: datetime  # when it was recorded
    user: str
    delivery_mode: str
    delivered_on: date
    late: bool
    sent_by: str
    rule_id: str = "NGI-02"
    reason: str = ""  # the note recorded with it


def entry_view(entry: RegisterEntry, rule: str | None = None, message: str = "") -> EntryView:
    assert entry.id is not None and entry.version is not None
    return EntryView(entry.id, entry.level_id, entry.seq, entry.requested_at, entry.child_id,
                     entry.priority_group, entry.contingent, entry.status, entry.reason,
                     entry.out_of_order, entry.overcapacity_category, entry.version, rule,
                     message)


@dataclass
class WaitingView:
    level_id: str
    deadline: date
    binds: bool
    per_contingent: bool
    entries: list[EntryRow]


@dataclass
class PlannedChange:
    entry_id: int
    seq: int
    child_id: str
    contingent: str
    priority_group: str
    from_status: str
    to_status: str
    rule: str
    why: str
    child_name: str = ""


@dataclass
class ClosePlan:
    period_id: int
    level_id: str
    seats: dict[str, int] | None
    free_before: dict[str, int] | None
    changes: list[PlannedChange] = field(default_factory=list)
    applied: bool = False
    place: str = ""  # the level in words (areas.level_places_in)


@dataclass
class FillStep:
    level_id: str
    entry_id: int
    seq: int
    child_id: str
    child_name: str
    action: str  # offered | realised | released | declined
    rule: str
    why: str


@dataclass
class FillReport:
    steps: list[FillStep] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # levels whose order no longer binds
    preview: bool = False  # computed in a transaction that was rolled back
    # level id -> the level in words, for every level it names (areas.level_places_in)
    places: dict[str, str] = field(default_factory=dict)


@dataclass
class OfferRow:
    id: int
    level_id: str
    entry_id: int
    seq: int
    child_id: str
    child_name: str
    status: str
    rule_id: str
    offered_at: datetime
    reply_by: datetime | None = None
    offered_by: str = ""
    school_name: str = ""  # the name of the level's school (screens show it beside the id)
