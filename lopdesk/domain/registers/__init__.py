"""The enrolment register: requests, status changes, periods, waiting lists and freed places.

Rules REG-01..07 and WL-01..04 of domain.md. Every public function is one transaction;
the `_in` variants work inside a caller's session so that several steps (a capacity raise
and the cascade it causes) commit together or not at all.

- `rules`: the pure rules (REG-03 transitions, CAP-04 free places, decide_request, plan_close)
- `requests`, `status`, `periods`, `offers`, `appends`: one module per use case
- `queries` and `views`: the read side and what every function hands back
- `store`: the steps the use cases share inside a session

Names are looked up in their module at first use (PEP 562), so that a quick read that needs
one pure module (`rules`, for the counters) does not import every use case and the ORM.
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULE_OF = {
    "bulk_append": "appends",
    "answer_offer": "offers",
    "fill": "offers",
    "fill_in": "offers",
    "name_places_in": "offers",
    "offer_next": "offers",
    "close_period": "periods",
    "entry_history": "queries",
    "entry_offers": "queries",
    "entry_timeline": "queries",
    "find_entry": "queries",
    "get_entry": "queries",
    "list_entries": "queries",
    "list_offers": "queries",
    "status_at": "queries",
    "waiting_list": "queries",
    "add_request": "requests",
    "add_request_in": "requests",
    "GROUP_RANK": "rules",
    "PERIOD_ADMITS": "rules",
    "TRANSITIONS": "rules",
    "Decision": "rules",
    "Level": "rules",
    "LevelState": "rules",
    "OpenPeriod": "rules",
    "contingent_seats": "rules",
    "decide_request": "rules",
    "free_places": "rules",
    "places_over": "rules",
    "plan_close": "rules",
    "round_seats": "rules",
    "transition_allowed": "rules",
    "change_status": "status",
    "withdraw": "status",
    "active_full_declaration": "store",
    "deadline_for": "store",
    "level_state": "store",
    "per_contingent": "store",
    "set_status_in": "store",
    "waiting_entries": "store",
    "waiting_query": "store",
    "ClosePlan": "views",
    "EntryRow": "views",
    "EntryView": "views",
    "EventRow": "views",
    "FillReport": "views",
    "FillStep": "views",
    "OfferEvent": "views",
    "OfferRow": "views",
    "PlannedChange": "views",
    "WaitingView": "views",
}

def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "GROUP_RANK", "PERIOD_ADMITS", "TRANSITIONS", "ClosePlan", "Decision", "EntryRow",
    "EntryView", "EventRow", "FillReport", "FillStep", "Level", "LevelState", "OfferEvent",
    "OfferRow",
    "OpenPeriod", "PlannedChange", "WaitingView", "active_full_declaration", "add_request",
    "add_request_in", "answer_offer", "bulk_append", "change_status", "close_period",
    "contingent_seats", "deadline_for", "decide_request", "entry_history", "entry_offers",
    "entry_timeline", "fill", "fill_in",
    "find_entry", "free_places", "get_entry", "level_state", "list_entries", "list_offers",
    "name_places_in", "offer_next", "per_contingent", "places_over", "plan_close", "round_seats",
    "set_status_in", "status_at", "transition_allowed", "waiting_entries", "waiting_list",
    "waiting_query", "withdraw",
]
