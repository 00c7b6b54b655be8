"""Tables of the mediation cell: refusal notices, LOP notifications, cases and their timeline.

Rule ids refer to ../shared/spec/domain.md §7 (NGI-*) and §8 (MED-*). Codes are English and
listed in lopdesk.domain.codes; lopdesk.labels holds their Dutch labels. The case timeline is
append-only (database triggers in migration 0003), like the register's history (REG-02).
"""

from datetime import date, datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

# The codes the columns below take are in lopdesk.domain.codes.
from lopdesk.domain.models import version_column
from lopdesk.domain.types import UTCDateTime


class RefusalNotice(SQLModel, table=True):
    """The refusal notice (MNGI) of one non-realised enrolment and its delivery (NGI-02..04)."""

    __tablename__ = "refusal_notice"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="register_entry.id", unique=True)
    child_id: str = Field(foreign_key="child.id", index=True)
    level_id: str = Field(foreign_key="capacity_level.id")
    # NGI-03: the school stays decision-maker and controller, also when the LOP sends.
    school_id: str = Field(foreign_key="school.id", index=True)
    sent_by: str = "school"  # NOTICE_SENDERS
    reason: str = "capacity"  # refusal ground: capacity, full_declaration, exclusion, ...
    refused_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    delivery_mode: str  # NOTICE_MODES
    delivered_on: date  # the notice date
    late: bool = False  # NGI-02: more than 4 calendar days after the refusal
    clr_deadline: date  # NGI-04: notice date + 30 calendar days
    note: str = ""
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_by: str
    # the refused line was replaced by a new allocation run: the notice no longer counts
    superseded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    superseded_by_run: int | None = None


class LopNotification(SQLModel, table=True):
    """NGI-03: every refusal is notified to the LOP; one record per refused enrolment."""

    __tablename__ = "lop_notification"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="register_entry.id", unique=True)
    child_id: str = Field(foreign_key="child.id", index=True)
    school_id: str = Field(foreign_key="school.id", index=True)  # decision-maker, controller
    refused_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    notice_id: int | None = Field(default=None, foreign_key="refusal_notice.id")
    sent_under_mandate: bool = False  # the LOP sends the notice for the school
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: str


class CaseAutoReason(SQLModel, table=True):
    """MED-01: refusal grounds for which a case opens automatically (e.g. exclusion)."""

    __tablename__ = "case_auto_reason"

    code: str = Field(primary_key=True)
    label: str = ""
    active: bool = True


_case_version, _case_version_field = version_column()


class MediationCase(SQLModel, table=True):
    """A mediation case (MED-01, MED-02). Never deleted; its history is in case_event."""

    __tablename__ = "mediation_case"
    __table_args__ = (Index("ix_case_status", "status"),)
    __mapper_args__ = {"version_id_col": _case_version}

    id: int | None = Field(default=None, primary_key=True)
    child_id: str = Field(foreign_key="child.id", index=True)
    area_id: str = Field(foreign_key="area.id", index=True)
    trigger: str  # CASE_TRIGGERS
    reason: str = "capacity"
    request_on: date | None = None  # the logged parent request (MED-01)
    requested_by: str = ""  # who asked (mother, father, guardian, ...)
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    opened_by: str
    status: str = "open"  # CASE_STATUSES
    clr_complaint_on: date | None = None
    clr_complaint_note: str = ""
    outcome: str | None = None  # CASE_OUTCOMES; required to close (MED-02)
    outcome_school_id: str | None = Field(default=None, foreign_key="school.id")
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    closed_by: str | None = None
    version: int | None = _case_version_field


class CaseRefusal(SQLModel, table=True):
    """The refusals (register entries, with their notices) a case is about."""

    __tablename__ = "case_refusal"

    case_id: int = Field(foreign_key="mediation_case.id", primary_key=True)
    entry_id: int = Field(foreign_key="register_entry.id", primary_key=True)


class CaseParty(SQLModel, table=True):
    __tablename__ = "case_party"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    role: str  # PARTY_ROLES
    name: str
    contact: str = ""
    added_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    added_by: str


class CaseEvent(SQLModel, table=True):
    """Append-only timeline of a case (MED-02, like REG-02 for the register)."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    user: str
    kind: str  # EVENT_KINDS
    occurred_on: date | None = None  # the day a meeting or contact took place
    text: str = ""
    ref_id: int | None = None  # proposal, party or register entry the event is about
    rule_id: str | None = None


class CaseProposal(SQLModel, table=True):
    """A school proposed to the parents (MED-02, MED-03) and their answer."""

    __tablename__ = "case_proposal"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    level_id: str = Field(foreign_key="capacity_level.id")
    school_id: str = Field(foreign_key="school.id")
    proposed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    proposed_by: str
    free_places: int | None = None  # at the moment of the proposal (CAP-04)
    distance_m: float | None = None
    answer: str | None = None  # PROPOSAL_ANSWERS
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    answered_by: str | None = None
    entry_id: int | None = Field(default=None, foreign_key="register_entry.id")
    overcapacity_category: str | None = None
