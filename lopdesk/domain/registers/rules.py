"""The register's rules as pure functions of plain values: no database, no session.

REG-03 (allowed status changes), REG-04/06 with CAP-06/07 and WL-01 (what becomes of a new
request), CAP-04 (free places), REG-05 (closing a priority period). The services read the
facts from the database and ask these functions; the demo asks them too, so a simulated
register follows the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import NamedTuple, Protocol

from lopdesk.domain.calendar import order_binds
from lopdesk.domain.codes import PRIORITY_GROUPS
from lopdesk.domain.errors import RuleViolation
from lopdesk.domain.registers.views import PlannedChange
from lopdesk.labels import PRIORITY_GROUP, fmt_date

# REG-03: the only status changes the law allows.
TRANSITIONS: dict[str, frozenset[str]] = {
    "deferred": frozenset({"realised", "non_realised"}),
    "non_realised": frozenset({"realised", "withdrawn"}),
    "realised": frozenset({"withdrawn"}),
    "withdrawn": frozenset(),
}

# Which requests a priority period admits (REG-04); None = every child (contingent period).
PERIOD_ADMITS: dict[str | None, frozenset[str]] = {
    "sibling_staff": frozenset({"sibling_staff", "sibling", "staff"}),
    "sibling": frozenset({"sibling_staff", "sibling"}),
    "staff": frozenset({"sibling_staff", "staff"}),
}

GROUP_RANK = {g: i for i, g in enumerate(PRIORITY_GROUPS)}


def transition_allowed(from_status: str, to_status: str) -> bool:
    """REG-03: whether an entry may go from one status to the other."""
    return to_status in TRANSITIONS.get(from_status, frozenset())


# --- free places and contingents (CAP-04, CAP-06, CAP-07, REG-05) -------------------------


def _balance(capacity: int, seated: int, realised: int) -> int:
    """CAP-04 before clamping: capacity − seated − realised (negative when overbooked)."""
    return capacity - seated - realised


def free_places(capacity: int | None, seated: int, realised: int, *,
                full: bool = False) -> int | None:
    """CAP-04: capacity − seated − realised, never below 0; None without a capacity.

    `realised` counts the register's realised enrolments without the overcapacity ones
    (CAP-07: they need no place); an active full declaration (CAP-06) leaves 0.
    """
    if capacity is None:
        return None
    if full:
        return 0
    return max(0, _balance(capacity, seated, realised))


def places_over(capacity: int, seated: int, realised: int) -> int:
    """How many more pupils hold a place than the capacity gives (0 within the capacity);
    seated pupils above the capacity are not an error (CAP-04), only worth a look."""
    return max(0, -_balance(capacity, seated, realised))


def round_seats(value: float, rule: str) -> int:
    mode = {"half_up": ROUND_HALF_UP, "down": ROUND_FLOOR, "up": ROUND_CEILING}[rule]
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=mode))


class LevelNumbers(Protocol):
    """The columns of a capacity level the rules read (a CapacityLevel or a result row)."""

    capacity: int | None
    seated_indicator: int
    seated_non_indicator: int
    indicator_ratio: float | None
    rounding: str


@dataclass
class Level:
    """A level's numbers as plain values (tests, simulations)."""

    capacity: int | None
    seated_indicator: int = 0
    seated_non_indicator: int = 0
    indicator_ratio: float | None = None
    rounding: str = "half_up"


def contingent_seats(level: LevelNumbers) -> dict[str, int] | None:
    """REG-05: indicator seats = capacity × ratio (explicit rounding); the rest non-indicator."""
    if level.capacity is None or level.indicator_ratio is None:
        return None
    ind = round_seats(level.capacity * level.indicator_ratio, level.rounding)
    ind = max(0, min(level.capacity, ind))
    return {"indicator": ind, "non_indicator": level.capacity - ind}


@dataclass
class LevelState:
    level: LevelNumbers
    realised: dict[str, int]  # per contingent, register only, overcapacity not counted
    full_declaration_id: int | None

    @property
    def seated(self) -> dict[str, int]:
        return {"indicator": self.level.seated_indicator,
                "non_indicator": self.level.seated_non_indicator}

    @property
    def realised_total(self) -> int:
        return sum(self.realised.values())

    def free_places(self) -> int | None:
        """CAP-04 for this level (see free_places)."""
        return free_places(self.level.capacity, sum(self.seated.values()), self.realised_total,
                           full=self.full_declaration_id is not None)

    def contingent_free(self) -> dict[str, int] | None:
        """Free seats per contingent (REG-04/05). A contingent that holds more children than
        its seats (a top-up at the close of a period, or seated pupils) uses the other
        contingent's seats: those are not free any more."""
        seats = contingent_seats(self.level)
        if seats is None:
            return None
        used = {c: self.seated[c] + self.realised[c] for c in seats}
        spill = {c: max(0, used[c] - seats[c]) for c in seats}
        free = {c: max(0, seats[c] - used[c] - spill[o])
                for c, o in (("indicator", "non_indicator"), ("non_indicator", "indicator"))}
        total = self.free_places()
        if total is not None:  # never more than the level's own free places (CAP-04)
            free = {c: min(v, total) for c, v in free.items()}
        return free


# --- a new request (REG-04, REG-06, CAP-06, CAP-07, WL-01) --------------------------------


class OpenPeriod(NamedTuple):
    """The period open at the request's moment (old regime): kind and priority group."""

    kind: str  # priority | free
    group: str | None  # None: the contingent period (every child)


class Decision(NamedTuple):
    """What becomes of a request: status, refusal reason, the rule applied and why."""

    status: str
    reason: str | None
    rule: str | None
    message: str


def decide_request(state: LevelState, *, contingent: str, priority_group: str, at: datetime,
                   period: OpenPeriod | None = None, waiting_deadline: date | None = None,
                   overcapacity_category: str | None = None,
                   forced_status: str | None = None, source: str = "request") -> Decision:
    """The decision tree of a new request, from plain values.

    `waiting_deadline`: the WL-01 deadline of the level when someone is on its waiting list
    (None when nobody waits). `forced_status`: imports and allocation results bring their
    own status (REG-07). An overcapacity category must already be checked (CAP-07).
    Raises RuleViolation when a priority period does not admit the request's group (REG-04).
    """
    if forced_status is not None:
        return Decision(forced_status, None, "REG-07" if source == "allocation" else None, "")
    if overcapacity_category is not None:
        return Decision("realised", None, "CAP-07",
                        f"inschrijving boven capaciteit (categorie {overcapacity_category})")
    if state.full_declaration_id is not None:
        return Decision("non_realised", "full_declaration", "CAP-06",
                        "niveau is volzet verklaard")
    if period is not None and period.kind == "priority":
        return _decide_in_period(state, period, contingent, priority_group)
    return _decide_free(state, at, waiting_deadline)


def _decide_in_period(state: LevelState, period: OpenPeriod, contingent: str,
                      priority_group: str) -> Decision:
    """REG-04: realised while the request's contingent has a place, else deferred."""
    admits = PERIOD_ADMITS.get(period.group) if period.group else None
    if admits is not None and priority_group not in admits:
        raise RuleViolation(
            f"in deze voorrangsperiode ({PRIORITY_GROUP.get(period.group or '', '')}) "
            f"kan enkel de voorrangsgroep zelf inschrijven, niet "
            f"'{PRIORITY_GROUP[priority_group]}'.", rule="REG-04")
    free_by_c = state.contingent_free()
    if free_by_c is None:
        free = state.free_places()
        ok = free is None or free > 0
    else:
        ok = free_by_c[contingent] > 0
    if ok:
        return Decision("realised", None, "REG-04", "plaats in het contingent")
    return Decision("deferred", None, "REG-04",
                    "contingent volzet: uitgesteld tot het einde van de periode")


def _decide_free(state: LevelState, at: datetime, waiting_deadline: date | None) -> Decision:
    """REG-06 in arrival order; a free place first goes to the waiting list (WL-01)."""
    free = state.free_places()
    if free is None:  # CAP-01: without a capacity nobody can be refused for capacity
        return Decision("realised", None, "CAP-01", "geen capaciteit vastgelegd")
    if free <= 0:
        return Decision("non_realised", "capacity", "REG-06", "capaciteit bereikt")
    if waiting_deadline is not None and order_binds(at, waiting_deadline):
        return Decision("non_realised", "waiting_list", "WL-01",
                        f"vrije plaats gaat eerst naar de wachtlijst (tot en met "
                        f"{fmt_date(waiting_deadline)})")
    return Decision("realised", None, "REG-06", "vrije plaats")


# --- closing a priority period (REG-05) ---------------------------------------------------


class Deferred(Protocol):
    """A deferred request as plan_close reads it (a RegisterEntry or a simulated row)."""

    id: int | None
    seq: int
    child_id: str
    contingent: str
    priority_group: str
    status: str


def plan_close(state: LevelState, deferred: Sequence[Deferred]) -> list[PlannedChange]:
    """REG-05 as a pure function of the level's counts and its deferred requests.

    A full contingent keeps its requests deferred; a contingent that is not full is topped
    up with the other contingent's deferred requests, per priority group, then in register
    order; when both are full, the remaining deferred become non-realised in register order.
    """
    free = state.contingent_free()
    if free is None:  # no contingents: the level's free places decide in register order
        total = state.free_places()
        free_total = total if total is not None else len(deferred)
        changes = []
        for e in sorted(deferred, key=lambda e: e.seq):
            to = "realised" if free_total > 0 else "non_realised"
            free_total -= to == "realised"
            changes.append(_change(e, to, "vrije plaats" if to == "realised"
                                   else "geen plaats meer"))
        return changes
    free = dict(free)
    changes: list[PlannedChange] = []
    remaining = sorted(deferred, key=lambda e: (GROUP_RANK.get(e.priority_group, 9), e.seq))
    # First each contingent's own deferred (a place may have been freed during the period).
    for c in ("indicator", "non_indicator"):
        for e in [e for e in remaining if e.contingent == c]:
            if free[c] > 0:
                free[c] -= 1
                changes.append(_change(e, "realised", "plaats in eigen contingent"))
                remaining.remove(e)
    # Top-up: a contingent that is not full takes the other contingent's deferred.
    for c, other in (("indicator", "non_indicator"), ("non_indicator", "indicator")):
        for e in [e for e in remaining if e.contingent == other]:
            if free[c] > 0:
                free[c] -= 1
                changes.append(_change(
                    e, "realised",
                    f"aanvulling: {'indicator' if c == 'indicator' else 'niet-indicator'}"
                    "contingent niet volzet"))
                remaining.remove(e)
    if free["indicator"] == 0 and free["non_indicator"] == 0:
        for e in sorted(remaining, key=lambda e: e.seq):
            changes.append(_change(e, "non_realised", "beide contingenten volzet"))
    return changes


def _change(e: Deferred, to: str, why: str) -> PlannedChange:
    assert e.id is not None
    return PlannedChange(e.id, e.seq, e.child_id, e.contingent, e.priority_group, e.status, to,
                         "REG-05", why)
