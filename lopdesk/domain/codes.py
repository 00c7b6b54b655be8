"""Codes and fixed numbers of the rulebook (domain.md), each defined once."""

from __future__ import annotations

# NGI-04: calendar days the parents have to complain to the CLR after the notice.
CLR_DAYS = 30

# Refusal reasons for which capacity is the ground (NGI-01: the notice then states the
# place in the register and the capacity; MED-01: such a refusal opens a mediation case).
CAPACITY_REASONS = frozenset({"capacity", "waiting_list", "full_declaration", "allocation"})
