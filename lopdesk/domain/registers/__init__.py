"""The enrolment register: requests, status changes, periods, waiting lists and freed places.

Rules REG-01..07 and WL-01..04 of domain.md. Every public function is one transaction;
the `_in` variants work inside a caller's session so that several steps (a capacity raise
and the cascade it causes) commit together or not at all.

- `rules`: the pure rules (REG-03 transitions, CAP-04 free places, decide_request, plan_close)
- `requests`, `status`, `periods`, `offers`, `appends`: one module per use case
- `queries` and `views`: the read side and what every function hands back
- `store`: the steps the use cases share inside a session
"""

from lopdesk.domain.registers.appends import bulk_append
from lopdesk.domain.registers.offers import answer_offer, fill, fill_in, offer_next
from lopdesk.domain.registers.periods import close_period
from lopdesk.domain.registers.queries import (
    entry_history,
    find_entry,
    get_entry,
    list_entries,
    list_offers,
    status_at,
    waiting_list,
)
from lopdesk.domain.registers.requests import add_request, add_request_in
from lopdesk.domain.registers.rules import (
    GROUP_RANK,
    PERIOD_ADMITS,
    TRANSITIONS,
    Decision,
    Level,
    LevelState,
    OpenPeriod,
    contingent_seats,
    decide_request,
    free_places,
    places_over,
    plan_close,
    round_seats,
    transition_allowed,
)
from lopdesk.domain.registers.status import change_status, withdraw
from lopdesk.domain.registers.store import (
    active_full_declaration,
    deadline_for,
    level_state,
    per_contingent,
    set_status_in,
    waiting_entries,
    waiting_query,
)
from lopdesk.domain.registers.views import (
    ClosePlan,
    EntryRow,
    EntryView,
    EventRow,
    FillReport,
    FillStep,
    OfferRow,
    PlannedChange,
    WaitingView,
)

__all__ = [
    "GROUP_RANK", "PERIOD_ADMITS", "TRANSITIONS", "ClosePlan", "Decision", "EntryRow",
    "EntryView", "EventRow", "FillReport", "FillStep", "Level", "LevelState", "OfferRow",
    "OpenPeriod", "PlannedChange", "WaitingView", "active_full_declaration", "add_request",
    "add_request_in", "answer_offer", "bulk_append", "change_status", "close_period",
    "contingent_seats", "deadline_for", "decide_request", "entry_history", "fill", "fill_in",
    "find_entry", "free_places", "get_entry", "level_state", "list_entries", "list_offers",
    "offer_next", "per_contingent", "places_over", "plan_close", "round_seats",
    "set_status_in", "status_at", "transition_allowed", "waiting_entries", "waiting_list",
    "waiting_query", "withdraw",
]
