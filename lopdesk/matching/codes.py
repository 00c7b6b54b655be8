"""The codes of the allocation (formats.md, domain.md ALC-01..04), defined once.

The engine, its file reader and the domain's allocation rounds all check against these
tuples; the Dutch labels of the codes are in lopdesk/labels.py.
"""

from __future__ import annotations

# How a level combines priority groups and reserved seats (ALC-02).
PRECEDENCES = ("priority_first", "contingent")
# How a level orders applicants inside a priority group (ALC-03).
CRITERIA = ("random", "distance", "rank+random", "rank+distance")
# One lottery number per child, or one per child and level (ALC-03).
TIEBREAKS = ("single", "multiple")
# Priority groups from strongest to weakest; "none" is no priority (REG-04).
PRIORITY_GROUPS = ("sibling_staff", "sibling", "staff", "none")
