"""The core tables: area, schools, capacity levels, children, registers and their history.

Statuses, kinds and groups are stored as short English codes; labels.py turns them into
the Dutch legal terms on screen. Rule ids refer to ../shared/spec/domain.md.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

# The code tuples live in codes.py; re-exported for the modules that import them from here.
from lopdesk.domain.codes import CONTINGENTS as CONTINGENTS
from lopdesk.domain.codes import LEVEL_KINDS as LEVEL_KINDS
from lopdesk.domain.codes import PRIORITY_GROUPS as PRIORITY_GROUPS
from lopdesk.domain.codes import REGIMES as REGIMES
from lopdesk.domain.codes import ROUNDING_RULES as ROUNDING_RULES
from lopdesk.domain.types import UTCDateTime, utcnow


def version_column() -> tuple[Column, Any]:
    """Optimistic-lock column (house-style: pass the Column object to version_id_col)."""
    col = Column("version", Integer, nullable=False)
    return col, Field(default=None, sa_column=col)


class Area(SQLModel, table=True):
    """A LOP area (or an area outside a LOP: CAP-03)."""

    id: str = Field(primary_key=True)
    name: str
    education: str = "primary"  # primary | secondary
    in_lop: bool = True
    per_contingent_lists: bool = False  # WL-02: freed places per contingent list
    offer_reply_days: int = 5  # school days parents get to answer an offer (decisions.md)
    chair_contact: str = ""
    clr_contact: str = (
        "Commissie inzake Leerlingenrechten, Koning Albert II-laan 15, 1210 Brussel, "
        "commissie.leerlingenrechten@vlaanderen.be"
    )
    parent_area_id: str | None = Field(default=None, foreign_key="area.id")


class School(SQLModel, table=True):
    id: str = Field(primary_key=True)  # school number (instellingsnummer)
    area_id: str = Field(foreign_key="area.id", index=True)
    name: str
    neighbourhood: str = ""
    address: str = ""
    x: float | None = None  # metres, local grid (Lambert-like), for distances
    y: float | None = None
    # NGI-03: the school mandated the LOP to send refusal notices (school stays controller)
    mandates_lop_notices: bool = False


class Site(SQLModel, table=True):
    """Vestigingsplaats."""

    id: str = Field(primary_key=True)
    school_id: str = Field(foreign_key="school.id", index=True)
    name: str
    address: str = ""
    x: float | None = None
    y: float | None = None
    pupils: int = 0  # site size decides the ANK minimum (CAP-08)


_level_version, _level_version_field = version_column()


class CapacityLevel(SQLModel, table=True):
    """Capaciteitsniveau for one school year; carries its regime (domain §2)."""

    __tablename__ = "capacity_level"
    __mapper_args__ = {"version_id_col": _level_version}

    id: str = Field(primary_key=True)
    school_id: str = Field(foreign_key="school.id", index=True)
    site_id: str = Field(foreign_key="site.id", index=True)
    school_year: int = Field(index=True)  # 2027 means 2027-2028
    regime: str  # old | new
    kind: str  # LEVEL_KINDS
    label: str  # birth year, grade, 1A/1B or administrative-group code
    name: str = ""
    grade: int | None = None  # year of an administrative group (secondary 1-7, CAP-06)
    capacity: int | None = None
    seated_indicator: int = 0
    seated_non_indicator: int = 0
    indicator_ratio: float | None = None  # desired share of indicator pupils (old regime)
    rounding: str = "half_up"  # REG-05: rounding of the indicator contingent
    enrolment_start: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    free_places_field: str = ""  # CAP-05: "", "0", "JA" or a positive integer
    ank_capacity: int | None = None  # CAP-08
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    version: int | None = _level_version_field


class Period(SQLModel, table=True):
    """A priority period (old regime), the free enrolment, or an application round."""

    id: int | None = Field(default=None, primary_key=True)
    level_id: str = Field(foreign_key="capacity_level.id", index=True)
    kind: str  # priority | free
    group: str | None = None  # priority group of the period; None = every child (contingents)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    closed_by: str | None = None


class Child(SQLModel, table=True):
    """A child, known by a pseudonymous id; no national register number is stored."""

    id: str = Field(primary_key=True)
    first_name: str
    last_name: str
    birth_date: date | None = None
    indicator: bool = False
    household_id: str | None = Field(default=None, index=True)
    address: str = ""  # parents' address (NGI-01)
    x: float | None = None
    y: float | None = None
    # Only a keyed hash, to detect duplicate files (domain §10); never shown.
    duplicate_key: str | None = Field(default=None, index=True)


_entry_version, _entry_version_field = version_column()


class RegisterEntry(SQLModel, table=True):
    """One line of an inschrijvingsregister (REG-01..07)."""

    __tablename__ = "register_entry"
    __table_args__ = (
        UniqueConstraint("level_id", "seq", name="uq_register_level_seq"),
        Index("ix_register_level_status", "level_id", "status"),
        # migration 0004: counters and per-request counts read this index alone
        Index("ix_register_counts", "level_id", "status", "contingent",
              "overcapacity_category", "status_changed_at"),
    )
    __mapper_args__ = {"version_id_col": _entry_version}

    id: int | None = Field(default=None, primary_key=True)
    level_id: str = Field(foreign_key="capacity_level.id")
    seq: int
    requested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    child_id: str = Field(foreign_key="child.id", index=True)
    priority_group: str = "none"
    contingent: str = "non_indicator"
    status: str
    reason: str | None = None  # capacity | full_declaration | ... for non_realised
    out_of_order: bool = False  # REG-01: timestamp earlier than the previous entry
    overcapacity_category: str | None = None  # CAP-07
    source: str = "request"  # request | import | allocation | freed_place
    waitlist_position: int | None = None  # REG-07: position given by an allocation run
    allocation_run_id: int | None = None
    status_changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    version: int | None = _entry_version_field


class RegisterCounter(SQLModel, table=True):
    """Last sequence number per register; an UPDATE on it serialises writers (REG-01)."""

    __tablename__ = "register_counter"

    level_id: str = Field(foreign_key="capacity_level.id", primary_key=True)
    last_seq: int = 0


class RegisterEvent(SQLModel, table=True):
    """Append-only history of a register entry (REG-02)."""

    __tablename__ = "register_event"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="register_entry.id", index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    user: str
    kind: str  # created | status
    from_status: str | None = None
    to_status: str | None = None
    reason: str = ""
    rule_id: str | None = None


class CapacityDecision(SQLModel, table=True):
    """A request to raise capacity and its LOP decision (CAP-03)."""

    __tablename__ = "capacity_decision"

    id: int | None = Field(default=None, primary_key=True)
    level_id: str = Field(foreign_key="capacity_level.id", index=True)
    current_capacity: int
    requested_capacity: int
    reason: str
    requested_by: str
    requested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: str = "pending"  # pending | approved | rejected
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    decision_reason: str | None = None
    decision_ref: str | None = None  # the LOP's decision id


class Task(SQLModel, table=True):
    """Follow-up work the program creates (e.g. CAP-03 'inform the other boards')."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    level_id: str | None = Field(default=None, foreign_key="capacity_level.id")
    text: str
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class FullDeclaration(SQLModel, table=True):
    """Volzetverklaring (CAP-06), may span several administrative groups."""

    __tablename__ = "full_declaration"

    id: int | None = Field(default=None, primary_key=True)
    reason: str = ""
    declared_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    declared_by: str
    lifted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    lifted_by: str | None = None
    lift_reason: str | None = None
    reported_to_lop: bool = True


class FullDeclarationLevel(SQLModel, table=True):
    __tablename__ = "full_declaration_level"

    declaration_id: int = Field(foreign_key="full_declaration.id", primary_key=True)
    level_id: str = Field(foreign_key="capacity_level.id", primary_key=True)
    count_at_declaration: int


class OvercapacityCategory(SQLModel, table=True):
    """Configured categories that may be enrolled above capacity (CAP-07)."""

    __tablename__ = "overcapacity_category"
    __table_args__ = (UniqueConstraint("regime", "level_kind", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    regime: str
    level_kind: str  # a LEVEL_KINDS code or "*" for every kind
    code: str
    label: str


class CalendarDay(SQLModel, table=True):
    """Holidays and free days of an area's school calendar (WL-04)."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("area_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: str = Field(foreign_key="area.id", index=True)
    day: date
    kind: str = "free_day"  # holiday | free_day
    label: str = ""


class Offer(SQLModel, table=True):
    """A freed place offered to a child on the waiting list (WL-01..03)."""

    id: int | None = Field(default=None, primary_key=True)
    level_id: str = Field(foreign_key="capacity_level.id", index=True)
    entry_id: int = Field(foreign_key="register_entry.id", index=True)
    contingent: str | None = None  # set when WL-02 per-contingent lists applied
    rule_id: str = "WL-01"
    offered_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    offered_by: str
    status: str = "open"  # open | accepted | declined | ended
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    answered_by: str | None = None
    end_reason: str | None = None  # why an offer ended unanswered (its line was replaced)
    reply_by: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class AuditRecord(SQLModel, table=True):
    """Append-only, hash-chained audit trail (domain §10)."""

    __tablename__ = "audit_record"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    user: str
    action: str  # e.g. register.add, capacity.set, child.read
    entity: str
    entity_id: str
    detail: str = "{}"  # canonical JSON
    prev_hash: str
    hash: str


class AuditHead(SQLModel, table=True):
    """One row: the end of the audit chain. Updating it serialises audit writers."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_id: int = 0
    last_hash: str = "0" * 64


class AppUser(SQLModel, table=True):
    """Users and roles; the operating-system user name is the identity."""

    __tablename__ = "app_user"

    name: str = Field(primary_key=True)
    role: str  # lop_expert | mediation | viewer | admin
    full_name: str = ""
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
