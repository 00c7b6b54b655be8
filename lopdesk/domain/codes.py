"""Every code tuple of the domain, defined once; lopdesk/labels.py has their Dutch labels.

Codes are short English words stored in the database and exchanged in files.
"""

from __future__ import annotations

# --- allocation codes (shared with the numpy engine, which may not import the domain) --
from lopdesk.matching.codes import CRITERIA, PRECEDENCES, PRIORITY_GROUPS, TIEBREAKS

# --- registers and capacity ---------------------------------------------------------------

REGIMES = ("old", "new")
LEVEL_KINDS = ("nursery_birth_year", "primary_grade", "secondary_1a", "secondary_1b",
               "admin_group")
# Register entry statuses (REG-01), in the order the plenary report lists them.
STATUSES = ("realised", "deferred", "non_realised", "withdrawn")
CONTINGENTS = ("indicator", "non_indicator")
# REG-05: rounding of the indicator contingent.
ROUNDING_RULES = ("half_up", "down", "up")
EDUCATIONS = ("primary", "secondary")
PERIOD_KINDS = ("priority", "free")
DECISION_STATUSES = ("pending", "approved", "rejected")
OFFER_STATUSES = ("open", "accepted", "declined")
# What a step of filling freed places did (WL-01..03).
FILL_ACTIONS = ("offered", "accepted", "realised", "released", "declined")

# --- allocation rounds and runs -------------------------------------------------------------

ROUND_STATUSES = ("open", "allocated")
# ALC-05: a round has one active run; a replaced run stays on record.
RUN_STATUSES = ("active", "replaced")

__all__ = [
    "CONTINGENTS", "CRITERIA", "DECISION_STATUSES", "EDUCATIONS", "FILL_ACTIONS", "LEVEL_KINDS",
    "OFFER_STATUSES", "PERIOD_KINDS", "PRECEDENCES", "PRIORITY_GROUPS", "REGIMES",
    "ROUNDING_RULES", "ROUND_STATUSES", "RUN_STATUSES", "STATUSES", "TIEBREAKS",
]
