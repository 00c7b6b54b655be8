"""Every code tuple and fixed number of the domain (domain.md), defined once;
lopdesk/labels.py has their Dutch labels (every code here has one there).

Codes are short English words stored in the database and exchanged in files.
"""

from __future__ import annotations

# --- allocation codes (shared with the numpy engine, which may not import the domain) --
from lopdesk.matching.codes import (  # noqa: F401 (re-exported)
    CRITERIA,
    PRECEDENCES,
    PRIORITY_GROUPS,
    TIEBREAKS,
)

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
# Where a period stands at a moment (REG-04, REG-05): PeriodRow.phase.
PERIOD_PHASES = ("planned", "running", "ended", "closed")
DECISION_STATUSES = ("pending", "approved", "rejected")
OFFER_STATUSES = ("open", "accepted", "declined", "ended")
# What a step of filling freed places did (WL-01..03).
FILL_ACTIONS = ("offered", "accepted", "realised", "released", "declined")

# --- allocation rounds and runs -------------------------------------------------------------

ROUND_STATUSES = ("open", "allocated")
# ALC-05: a round has one active run; a replaced run stays on record.
RUN_STATUSES = ("active", "replaced")

# NGI-04: calendar days the parents have to complain to the CLR after the notice.
CLR_DAYS = 30

# Refusal reasons for which capacity is the ground (NGI-01: the notice then states the
# place in the register and the capacity; MED-01: a parent request may open a case for them).
CAPACITY_REASONS = frozenset({"capacity", "waiting_list", "full_declaration", "allocation"})

# --- mediation: refusal notices (NGI-02..04) and cases (MED-01..03) -------------------------

NOTICE_MODES = ("receipt", "registered_post")  # NGI-02
NOTICE_SENDERS = ("school", "lop")  # NGI-03: the LOP sends under the school's mandate
# The register's refusal grounds are labels.REASON; a notice may also give one of these.
NOTICE_ONLY_REASONS = ("exclusion", "other")
CASE_TRIGGERS = ("parent_request", "automatic")  # MED-01
CASE_STATUSES = ("open", "waiting", "closed")
CASE_OUTCOMES = ("same_school", "other_school", "no_agreement", "withdrawn")  # MED-02
# Outcomes that name the school where the child is enrolled (MED-02).
CASE_OUTCOMES_WITH_SCHOOL = ("same_school", "other_school")
PARTY_ROLES = ("parents", "school", "clb", "lop", "mediator", "other")
EVENT_KINDS = ("opened", "refusal", "party", "meeting", "contact", "proposal", "answer",
               "clr_complaint", "note", "closed")
# The timeline events a user adds by hand (the others follow from an action).
MANUAL_EVENT_KINDS = ("meeting", "contact", "note")
PROPOSAL_ANSWERS = ("accepted", "declined")
