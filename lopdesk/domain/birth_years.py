"""The birth year a capacity level is meant for, used to offer the right children first.

Only the nursery level is bound to a birth year by the rules (its label is the year; a
request of another year is refused in registers/requests.py). For the other kinds the
usual age is known but not a rule (a child may be a year ahead or behind): the year is a
preference, never a refusal (docs/decisions.md).
"""

from __future__ import annotations

from lopdesk.db import Database
from lopdesk.domain.access import reading
from lopdesk.domain.models import CapacityLevel

# A child starts primary school (grade 1) in the school year that begins in the calendar
# year it turns 6, and secondary school (1A/1B) in the one of the year it turns 12.
FIRST_GRADE_AGE = 6
SECONDARY_AGE = 12


def usual_birth_year(kind: str, label: str, school_year: int) -> int | None:
    """The birth year of the children a level of this kind, label and school year (the
    calendar year it starts) is for; None when the level says nothing about age (an
    administrative group)."""
    try:
        if kind == "nursery_birth_year":
            return int(label)
        if kind == "primary_grade":
            return school_year - FIRST_GRADE_AGE - (int(label) - 1)
    except ValueError:
        return None
    if kind in ("secondary_1a", "secondary_1b"):
        return school_year - SECONDARY_AGE
    return None


def level_birth_year(db: Database, level_id: str) -> int | None:
    """`usual_birth_year` of a stored level (None for an unknown level)."""
    with reading(db) as s:
        level = s.get(CapacityLevel, level_id)
        if level is None:
            return None
        return usual_birth_year(level.kind, level.label, level.school_year)
