"""Tables of the central allocation on stored applications (domain §9, REG-07, ALC-05)."""

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from lopdesk.domain.types import UTCDateTime


class AllocationRound(SQLModel, table=True):
    """An application round (aanmeldingsprocedure) of an area for one school year."""

    __tablename__ = "allocation_round"

    id: str = Field(primary_key=True)
    area_id: str = Field(foreign_key="area.id", index=True)
    school_year: int
    name: str
    tiebreak: str = "single"  # ALC-03
    status: str = "open"  # open | allocated
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RoundLevel(SQLModel, table=True):
    """A level taking part in a round, with its places and ranking rules (ALC-02, ALC-04)."""

    __tablename__ = "round_level"

    round_id: str = Field(foreign_key="allocation_round.id", primary_key=True)
    level_id: str = Field(foreign_key="capacity_level.id", primary_key=True)
    capacity: int
    reserved_indicator: int = 0
    reserved_non_indicator: int = 0
    precedence: str = "priority_first"
    criterion: str = "random"
    priority_order: str = "sibling_staff>sibling>staff"


class Application(SQLModel, table=True):
    """One line of a child's ranked list (aanmelding): not an enrolment."""

    __table_args__ = (
        UniqueConstraint("round_id", "child_id", "rank", name="uq_application_rank"),
        UniqueConstraint("round_id", "child_id", "level_id", name="uq_application_level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: str = Field(foreign_key="allocation_round.id", index=True)
    child_id: str = Field(foreign_key="child.id", index=True)
    rank: int
    level_id: str = Field(foreign_key="capacity_level.id")
    priority_group: str = "none"
    distance_m: float | None = None
    submitted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AllocationRun(SQLModel, table=True):
    """The record of one run (ALC-05): enough for a notary's proces-verbaal and a re-run."""

    __tablename__ = "allocation_run"

    id: int | None = Field(default=None, primary_key=True)
    round_id: str = Field(foreign_key="allocation_round.id", index=True)
    status: str = "active"  # active | replaced
    replaced_by: int | None = None
    replaces: int | None = None  # the run this one replaced (ALC-05)
    replace_reason: str = ""
    # later facts carried over into the input (children left out, capacities): canonical JSON
    adjustments: str = Field(default="{}", sa_column=Column(Text, nullable=False,
                                                            server_default="{}"))
    seed: int
    tiebreak: str
    improve: bool = False
    options: str = "{}"  # canonical JSON
    engine_version: str
    input_hash: str
    output_hash: str
    counts: str = "{}"  # canonical JSON
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    user: str
    assignments_csv: str = Field(default="", sa_column=Column(Text, nullable=False))


class AllocationWaitlist(SQLModel, table=True):
    """Waiting-list positions a run gave (per child and level ranked above its ticket)."""

    __tablename__ = "allocation_waitlist"

    run_id: int = Field(foreign_key="allocation_run.id", primary_key=True)
    child_id: str = Field(foreign_key="child.id", primary_key=True)
    level_id: str = Field(foreign_key="capacity_level.id", primary_key=True)
    position: int
