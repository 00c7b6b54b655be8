"""The valid codes of the domain, each tuple defined once; lopdesk.labels holds their Dutch
labels (every code here has one there)."""

from __future__ import annotations

# --- mediation: refusal notices (NGI-02..04) and cases (MED-01..03) -------------------------

NOTICE_MODES = ("receipt", "registered_post")  # NGI-02
NOTICE_SENDERS = ("school", "lop")  # NGI-03: the LOP sends under the school's mandate
# The register's refusal grounds are labels.REASON; a notice may also give one of these.
NOTICE_ONLY_REASONS = ("exclusion", "other")
# Grounds a parent request may open a case for (MED-01); the others open automatically.
CAPACITY_REASONS = frozenset({"capacity", "full_declaration", "waiting_list", "allocation"})
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
