"""What the mediation cell's reads and writes return: notices, cases, proposals, the child's
file and the plenary's counts (domain §7, §8, §10). Codes stay English; lopdesk.labels holds
their Dutch labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from lopdesk.domain.registers import EntryView


@dataclass
class RefusedLine:
    """The register line a refusal is about, and the school that refused (NGI-01)."""

    entry_id: int
    child_id: str
    level_id: str
    seq: int
    school_id: str
    school_name: str


@dataclass
class NoticeView(RefusedLine):
    id: int
    decision_maker: str  # NGI-03: always the school, also under mandate
    controller: str
    sent_by: str
    reason: str
    refused_at: datetime
    delivery_mode: str
    delivered_on: date
    days_after_refusal: int
    late: bool  # NGI-02
    clr_deadline: date  # NGI-04
    notification_id: int | None
    note: str
    recorded_by: str
    recorded_at: datetime
    case_id: int | None = None  # the case it belongs to (or opened automatically, MED-01)
    place: str = ""  # the level in words (areas.level_places_in)


@dataclass
class MissingNotice(RefusedLine):
    """A refusal without a recorded notice yet (NGI-02 follow-up)."""

    refused_at: datetime
    due_on: date
    overdue: bool


@dataclass
class RefusalRow:
    entry_id: int
    level_id: str
    seq: int
    school_id: str
    school_name: str
    status: str
    reason: str
    refused_at: datetime | None
    notice_id: int | None
    delivered_on: date | None
    late: bool | None
    clr_deadline: date | None
    level_words: str = ""  # the level as a user reads it ('leerjaar 1 · 2026-2027')


@dataclass
class PartyRow:
    id: int
    role: str
    name: str
    contact: str
    added_at: datetime
    added_by: str


@dataclass
class TimelineRow:
    id: int
    at: datetime
    user: str
    kind: str
    occurred_on: date | None
    text: str
    ref_id: int | None
    rule_id: str | None


@dataclass
class ProposalRow:
    id: int
    case_id: int
    level_id: str
    school_id: str
    school_name: str
    proposed_at: datetime
    proposed_by: str
    free_places: int | None
    distance_m: float | None
    answer: str | None
    answered_at: datetime | None
    entry_id: int | None
    overcapacity_category: str | None
    # The register number of the line an accepted proposal created (the "nr." a user
    # sees in the register), never the internal entry id.
    entry_seq: int | None = None
    # CAP-04: the level's free places as they are now (read with the row: after an accepted
    # proposal it counts the child); free_places is the count when it was proposed.
    free_now: int | None = None


@dataclass
class CaseRow:
    id: int
    child_id: str
    child_name: str
    area_id: str
    status: str
    trigger: str
    reason: str
    opened_at: datetime
    next_deadline: date | None
    outcome: str | None
    closed_at: datetime | None
    open_proposals: int
    schools: list[str]  # the refusing schools' ids
    school_names: list[str] = field(default_factory=list)  # their names, in the same order
    proposals: int = 0  # every proposal made in the case (MED-03), answered or not


@dataclass
class CaseView:
    id: int
    child_id: str
    child_name: str
    area_id: str
    trigger: str
    reason: str
    request_on: date | None
    requested_by: str
    opened_at: datetime
    opened_by: str
    status: str
    clr_complaint_on: date | None
    clr_complaint_note: str
    outcome: str | None
    outcome_school_id: str | None
    closed_at: datetime | None
    closed_by: str | None
    version: int
    next_deadline: date | None
    refusals: list[RefusalRow] = field(default_factory=list)
    parties: list[PartyRow] = field(default_factory=list)
    proposals: list[ProposalRow] = field(default_factory=list)
    timeline: list[TimelineRow] = field(default_factory=list)


@dataclass
class Candidate:
    """A school with free places at the child's level (MED-03)."""

    level_id: str
    school_id: str
    school_name: str
    neighbourhood: str
    regime: str
    free_places: int | None  # CAP-04; None: no capacity set (every request is realised)
    free_places_status: str  # CAP-05: the LOP free-places field as on the board
    distance_m: float | None


@dataclass
class HeldPlace:
    """A level like the child's with a free place that its waiting list takes first until
    `until` (WL-01), so it is not proposed (MED-03)."""

    level_id: str
    place: str  # school and level in words
    free_places: int
    waiting: int  # children on its waiting list
    until: date


@dataclass
class ProposalChoice:
    """What the cell can propose now (MED-03), and the free places held for a waiting list."""

    candidates: list[Candidate]
    held: list[HeldPlace] = field(default_factory=list)


@dataclass
class Deadline:
    on: date
    kind: str  # clr | waiting_list | notice
    text: str
    entry_id: int | None = None


@dataclass
class FileEntry:
    entry_id: int
    level_id: str
    school_id: str
    school_name: str
    area_id: str
    school_year: int
    regime: str
    level_kind: str
    level_label: str
    seq: int
    requested_at: datetime
    status: str
    reason: str | None
    refused_at: datetime | None
    overcapacity_category: str | None
    waiting_position: int | None
    waiting_deadline: date | None
    waiting_binds: bool | None
    notice: NoticeView | None


@dataclass
class ChildFile:
    child_id: str
    first_name: str
    last_name: str
    birth_date: date | None
    address: str
    entries: list[FileEntry]
    cases: list[CaseRow]
    deadlines: list[Deadline]


@dataclass
class AnswerView:
    proposal: ProposalRow
    entry: EntryView | None


@dataclass
class PlenaryCase:
    pseudonym: str  # a number in this list only: not the child's id, not its name
    status: str
    trigger: str
    reason: str
    refusing_schools: int
    proposals: int
    days_open: int
    outcome: str | None


@dataclass
class PlenarySummary:
    area_id: str | None
    cases_by_status: dict[str, int]
    cases_by_outcome: dict[str, int]
    cases_by_trigger: dict[str, int]
    notices: int
    notices_late: int
    notices_by_mode: dict[str, int]
    notices_by_lop: int
    refusals_without_notice: int
    cases: list[PlenaryCase]
