"""The enrolment register: requests, status changes, periods, waiting lists and freed places.

Rules REG-01..07 and WL-01..04 of domain.md. Every public function is one transaction;
the `_in` variants work inside a caller's session so that several steps (a capacity raise
and the cascade it causes) commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, case, exists, func, insert, literal_column, select, update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import require
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.bulk import insert_rows
from lopdesk.domain.calendar import area_free_days, order_binds, waiting_list_deadline
from lopdesk.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from lopdesk.domain.mediation_models import LopNotification
from lopdesk.domain.models import (
    PRIORITY_GROUPS,
    Area,
    CapacityLevel,
    Child,
    FullDeclaration,
    FullDeclarationLevel,
    Offer,
    OvercapacityCategory,
    Period,
    RegisterCounter,
    RegisterEntry,
    RegisterEvent,
    School,
)
from lopdesk.domain.types import UTCDateTime, utcnow
from lopdesk.labels import LEVEL_KIND, PRIORITY_GROUP, REGIME, STATUS, fmt_date

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


# --- views -------------------------------------------------------------------------


@dataclass
class EntryView:
    id: int
    level_id: str
    seq: int
    requested_at: datetime
    child_id: str
    priority_group: str
    contingent: str
    status: str
    reason: str | None
    out_of_order: bool
    overcapacity_category: str | None
    version: int
    rule: str | None = None
    message: str = ""


class EntryRow(NamedTuple):
    id: int
    seq: int
    requested_at: datetime
    child_id: str
    child_name: str
    priority_group: str
    contingent: str
    status: str
    reason: str | None
    out_of_order: bool
    overcapacity_category: str | None
    waitlist_position: int | None
    version: int


class EventRow(NamedTuple):
    id: int
    at: datetime
    user: str
    kind: str
    from_status: str | None
    to_status: str | None
    reason: str
    rule_id: str | None


def _view(entry: RegisterEntry, rule: str | None = None, message: str = "") -> EntryView:
    assert entry.id is not None and entry.version is not None
    return EntryView(entry.id, entry.level_id, entry.seq, entry.requested_at, entry.child_id,
                     entry.priority_group, entry.contingent, entry.status, entry.reason,
                     entry.out_of_order, entry.overcapacity_category, entry.version, rule,
                     message)


# --- counting (CAP-04, REG-05) -------------------------------------------------------


def round_seats(value: float, rule: str) -> int:
    mode = {"half_up": ROUND_HALF_UP, "down": ROUND_FLOOR, "up": ROUND_CEILING}[rule]
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=mode))


def contingent_seats(level: CapacityLevel) -> dict[str, int] | None:
    """REG-05: indicator seats = capacity × ratio (explicit rounding); the rest non-indicator."""
    if level.capacity is None or level.indicator_ratio is None:
        return None
    ind = round_seats(level.capacity * level.indicator_ratio, level.rounding)
    ind = max(0, min(level.capacity, ind))
    return {"indicator": ind, "non_indicator": level.capacity - ind}


@dataclass
class LevelState:
    level: CapacityLevel
    realised: dict[str, int]  # per contingent, register only
    full_declaration_id: int | None

    @property
    def seated(self) -> dict[str, int]:
        return {"indicator": self.level.seated_indicator,
                "non_indicator": self.level.seated_non_indicator}

    @property
    def realised_total(self) -> int:
        return sum(self.realised.values())

    def free_places(self) -> int | None:
        """CAP-04: capacity − seated − realised, never below 0; None without a capacity."""
        if self.level.capacity is None:
            return None
        if self.full_declaration_id is not None:
            return 0  # CAP-06
        used = sum(self.seated.values()) + self.realised_total
        return max(0, self.level.capacity - used)

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


def level_state(s: Session, level: CapacityLevel) -> LevelState:
    rows = s.execute(
        select(RegisterEntry.contingent, func.count())
        .where(RegisterEntry.level_id == level.id, RegisterEntry.status == "realised",
               RegisterEntry.overcapacity_category.is_(None))
        .group_by(RegisterEntry.contingent)
    ).all()
    realised = {"indicator": 0, "non_indicator": 0}
    for contingent, n in rows:
        realised[contingent] = n
    return LevelState(level, realised, active_full_declaration(s, level.id))


def active_full_declaration(s: Session, level_id: str) -> int | None:
    return s.execute(
        select(FullDeclaration.id)
        .join(FullDeclarationLevel, FullDeclarationLevel.declaration_id == FullDeclaration.id)
        .where(FullDeclarationLevel.level_id == level_id, FullDeclaration.lifted_at.is_(None))
    ).scalar()


# --- helpers -------------------------------------------------------------------------


def _next_seq(s: Session, level_id: str) -> int:
    """REG-01: the UPDATE takes the register's row lock, so numbers stay gap-free."""
    seq = s.execute(
        update(RegisterCounter)
        .where(RegisterCounter.level_id == level_id)
        .values(last_seq=RegisterCounter.last_seq + 1)
        .returning(RegisterCounter.last_seq)
    ).scalar()
    if seq is None:
        current = s.execute(
            select(func.coalesce(func.max(RegisterEntry.seq), 0))
            .where(RegisterEntry.level_id == level_id)
        ).scalar_one()
        s.add(RegisterCounter(level_id=level_id, last_seq=current + 1))
        s.flush()
        seq = current + 1
    return int(seq)


def _event(s: Session, user: str, entry: RegisterEntry, kind: str, *, at: datetime,
           from_status: str | None, to_status: str | None, reason: str,
           rule: str | None) -> None:
    assert entry.id is not None
    s.add(RegisterEvent(entry_id=entry.id, at=at, user=user, kind=kind,
                        from_status=from_status, to_status=to_status, reason=reason,
                        rule_id=rule))


def deadline_for(s: Session, level: CapacityLevel) -> date:
    school = s.get(School, level.school_id)
    free = area_free_days(s, school.area_id) if school else []
    return waiting_list_deadline(level.school_year, level.kind, level.label, free)


def _waiting_query(level_id: str):
    # REG-07: allocation positions first (1..N), free-period refusals after them, by number.
    return (
        select(RegisterEntry)
        .where(RegisterEntry.level_id == level_id, RegisterEntry.status == "non_realised")
        .order_by(case((RegisterEntry.waitlist_position.is_(None), 1), else_=0),
                  RegisterEntry.waitlist_position, RegisterEntry.seq)
    )


def _waiting(s: Session, level_id: str, contingent: str | None = None) -> list[RegisterEntry]:
    q = _waiting_query(level_id)
    if contingent is not None:
        q = q.where(RegisterEntry.contingent == contingent)
    return list(s.execute(q).scalars())


def _open_offer_entries(s: Session, level_id: str) -> set[int]:
    return set(s.execute(
        select(Offer.entry_id).where(Offer.level_id == level_id, Offer.status == "open")
    ).scalars())


def _binding(s: Session, level: CapacityLevel, at: datetime) -> tuple[bool, date]:
    deadline = deadline_for(s, level)
    return order_binds(at, deadline), deadline


def _child_name(s: Session, child_id: str) -> str:
    child = s.get(Child, child_id)
    return f"{child.first_name} {child.last_name}".strip() if child else child_id


# --- the statements of the request hot path (built once; executed on the connection) ---

_ENTRY = RegisterEntry.__table__  # type: ignore[attr-defined]
_EVENT = RegisterEvent.__table__  # type: ignore[attr-defined]
_COUNTER = RegisterCounter.__table__  # type: ignore[attr-defined]
_LEVEL = CapacityLevel.__table__  # type: ignore[attr-defined]
_SCHOOL = School.__table__  # type: ignore[attr-defined]
_CHILD = Child.__table__  # type: ignore[attr-defined]
_PERIOD = Period.__table__  # type: ignore[attr-defined]
_FULL = FullDeclaration.__table__  # type: ignore[attr-defined]
_FULL_LEVEL = FullDeclarationLevel.__table__  # type: ignore[attr-defined]

# REG-01: the UPDATE takes the register's row lock, so numbers stay gap-free.
_BUMP_SEQ = (update(_COUNTER).where(_COUNTER.c.level_id == bindparam("register"))
             .values(last_seq=_COUNTER.c.last_seq + literal_column("1"))
             .returning(_COUNTER.c.last_seq))
_LEVEL_EXISTS = select(_LEVEL.c.id).where(_LEVEL.c.id == bindparam("level_id"))
_INSERT_ENTRY = insert(_ENTRY).returning(_ENTRY.c.id)
_INSERT_EVENT = insert(_EVENT)
_NOTIFICATION = LopNotification.__table__  # type: ignore[attr-defined]
_INSERT_NOTIFICATION = insert(_NOTIFICATION).returning(_NOTIFICATION.c.id)
_AT = bindparam("at", type_=UTCDateTime())
_OPEN_PERIOD = (  # as open_period_at, only the columns REG-04 reads
    select(_PERIOD.c.kind, _PERIOD.c.group)
    .where(_PERIOD.c.level_id == bindparam("level_id"), _PERIOD.c.starts_at <= _AT,
           _PERIOD.c.closed_at.is_(None))
    .where(_PERIOD.c.ends_at.is_(None) | (_PERIOD.c.ends_at >= _AT))
    .order_by(_PERIOD.c.starts_at.desc(), _PERIOD.c.id.desc()).limit(1)
)


def _request_facts():
    """Level, child, full declaration (CAP-06), realised counts per contingent (CAP-04,
    REG-05), the previous entry's timestamp (REG-01) and whether anyone waits (WL-01):
    one statement instead of seven. The counts read the index ix_register_counts alone."""
    level_id = bindparam("level_id")
    e = _ENTRY.c
    one = literal_column("1")  # constants inline: fewer parameters to build on every call

    def realised(contingent: str):
        return (select(func.count()).select_from(_ENTRY)
                .where(e.level_id == level_id, e.status == literal_column("'realised'"),
                       e.contingent == literal_column(f"'{contingent}'"),
                       e.overcapacity_category.is_(None))
                .scalar_subquery())

    lv = _LEVEL.c
    return (
        select(
            lv.capacity, lv.seated_indicator, lv.seated_non_indicator, lv.indicator_ratio,
            lv.rounding, lv.enrolment_start, lv.regime, lv.kind, lv.label, lv.school_year,
            _SCHOOL.c.area_id, _SCHOOL.c.id.label("school_id"), _SCHOOL.c.mandates_lop_notices,
            select(_CHILD.c.indicator).where(_CHILD.c.id == bindparam("child_id"))
            .scalar_subquery().label("indicator"),
            select(_CHILD.c.birth_date).where(_CHILD.c.id == bindparam("child_id"))
            .scalar_subquery().label("birth_date"),
            select(_FULL.c.id)
            .join(_FULL_LEVEL, _FULL_LEVEL.c.declaration_id == _FULL.c.id)
            .where(_FULL_LEVEL.c.level_id == level_id, _FULL.c.lifted_at.is_(None))
            .limit(one).scalar_subquery().label("full_declaration_id"),
            realised("indicator").label("realised_indicator"),
            realised("non_indicator").label("realised_non_indicator"),
            select(e.requested_at).where(e.level_id == level_id, e.seq < bindparam("seq"))
            .order_by(e.seq.desc()).limit(one).scalar_subquery().label("previous_at"),
            exists().where(e.level_id == level_id, e.status == literal_column("'non_realised'"))
            .label("waiting"),
            select(e.seq).where(e.level_id == level_id, e.child_id == bindparam("child_id"),
                                e.status != literal_column("'withdrawn'"))
            .limit(one).scalar_subquery().label("open_seq"),
        )
        .select_from(_LEVEL.outerjoin(_SCHOOL, _SCHOOL.c.id == lv.school_id))
        .where(lv.id == level_id)
    )


_REQUEST_FACTS = _request_facts()


# --- adding a request (REG-01, REG-04, REG-06, CAP-06, CAP-07, WL-01) ------------------


def add_request(db: Database, level_id: str, child_id: str, *, priority_group: str = "none",
                at: datetime | None = None,
                overcapacity_category: str | None = None) -> EntryView:
    with db.write() as s:
        require(s, db.user, "register.write")
        return add_request_in(s, db.user, level_id, child_id, priority_group=priority_group,
                              at=at, overcapacity_category=overcapacity_category)


def _as_date(value: date | str) -> date:
    """A birth date from a scalar subquery (SQLite returns its text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def add_request_in(s: Session, user: str, level_id: str, child_id: str, *,
                   priority_group: str = "none", at: datetime | None = None,
                   overcapacity_category: str | None = None, source: str = "request",
                   forced_status: str | None = None) -> EntryView:
    if priority_group not in PRIORITY_GROUPS:
        raise InvalidInput(
            f"onbekende voorrangsgroep '{priority_group}' (kies uit "
            f"{', '.join(PRIORITY_GROUPS)}).", field="priority_group")
    # Lock the register first (REG-01), so that everything below sees a stable register.
    # Through the session (autoflush of the caller's pending rows), the rest on its connection.
    seq = s.execute(_BUMP_SEQ, {"register": level_id}).scalar()
    conn = s.connection()
    if seq is None:  # no counter row yet (or no such level: nothing is changed then)
        if conn.execute(_LEVEL_EXISTS, {"level_id": level_id}).first() is None:
            raise NotFound(f"capaciteitsniveau '{level_id}' bestaat niet.",
                           field="capaciteitsniveau")
        seq = _next_seq(s, level_id)
    # One statement for everything the rules below read (see _request_facts).
    facts = conn.execute(_REQUEST_FACTS,
                         {"level_id": level_id, "child_id": child_id, "seq": seq}).first()
    if facts is None:
        raise NotFound(f"capaciteitsniveau '{level_id}' bestaat niet.", field="capaciteitsniveau")
    if facts.indicator is None:
        raise NotFound(f"kind '{child_id}' bestaat niet.", field="kind")
    at = (at or utcnow()).replace(microsecond=0)
    if facts.enrolment_start is not None and at < facts.enrolment_start:
        raise RuleViolation(
            f"de inschrijvingen voor dit niveau starten pas op {fmt_date(facts.enrolment_start)}.",
            rule="CAP-01")
    if (facts.kind == "nursery_birth_year" and facts.birth_date is not None
            and str(_as_date(facts.birth_date).year) != str(facts.label)):
        raise InvalidInput(f"kind '{child_id}' is geboren in {_as_date(facts.birth_date).year}; "
                           f"dit niveau is voor geboortejaar {facts.label}.", field="child_id")
    if facts.open_seq is not None:  # one running request per child and register
        raise RuleViolation(f"kind '{child_id}' staat al in dit register (nr. {facts.open_seq}"
                            "); een tweede aanvraag voor hetzelfde niveau kan niet.",
                            rule="REG-01")
    contingent = "indicator" if facts.indicator else "non_indicator"
    # The facts row carries the level columns LevelState and contingent_seats read.
    state = LevelState(facts, {"indicator": facts.realised_indicator,  # type: ignore[arg-type]
                               "non_indicator": facts.realised_non_indicator},
                       facts.full_declaration_id)
    reason: str | None = None
    if forced_status is not None:  # imports and allocation results (REG-07) bring their status
        status, rule, message = forced_status, "REG-07" if source == "allocation" else None, ""
    elif overcapacity_category is not None:
        _check_category(s, facts, overcapacity_category)  # type: ignore[arg-type]
        status, rule = "realised", "CAP-07"
        message = "inschrijving boven capaciteit (categorie " f"{overcapacity_category})"
    elif state.full_declaration_id is not None:
        status, reason, rule = "non_realised", "full_declaration", "CAP-06"
        message = "niveau is volzet verklaard"
    else:
        # priority periods only exist in the old regime (REG-04): no query in the new one
        period = (conn.execute(_OPEN_PERIOD, {"level_id": level_id, "at": at}).first()
                  if facts.regime == "old" else None)
        if period is not None and period.kind == "priority":
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
            status, rule = ("realised", "REG-04") if ok else ("deferred", "REG-04")
            message = ("plaats in het contingent" if ok
                       else "contingent volzet: uitgesteld tot het einde van de periode")
        else:
            free = state.free_places()
            if free is None:  # CAP-01: without a capacity nobody can be refused for capacity
                status, rule, message = "realised", "CAP-01", "geen capaciteit vastgelegd"
            elif free > 0:
                # WL-01: a freed place goes to the waiting list while the order binds. Only
                # whether anyone waits matters; the deadline (free days) only when someone does.
                deadline = None
                if facts.waiting:
                    free_days = area_free_days(s, facts.area_id) if facts.area_id else []
                    deadline = waiting_list_deadline(facts.school_year, facts.kind, facts.label,
                                                     free_days)
                if deadline is not None and order_binds(at, deadline):
                    status, reason, rule = "non_realised", "waiting_list", "WL-01"
                    message = (f"vrije plaats gaat eerst naar de wachtlijst (tot en met "
                               f"{fmt_date(deadline)})")
                else:
                    status, rule, message = "realised", "REG-06", "vrije plaats"
            else:
                status, reason, rule = "non_realised", "capacity", "REG-06"
                message = "capaciteit bereikt"
    previous = facts.previous_at
    out_of_order = previous is not None and at < previous  # REG-01: flagged, not reordered
    values = dict(
        level_id=level_id, seq=seq, requested_at=at, child_id=child_id,
        priority_group=priority_group, contingent=contingent, status=status, reason=reason,
        out_of_order=out_of_order, overcapacity_category=overcapacity_category, source=source,
        status_changed_at=at, version=1,
    )
    # Core INSERTs on the connection: the hot path of every request (REG-01).
    entry_id = conn.execute(_INSERT_ENTRY, values).scalar_one()
    conn.execute(_INSERT_EVENT, {
        "entry_id": entry_id, "at": at, "user": user, "kind": "created", "from_status": None,
        "to_status": status, "rule_id": rule,
        "reason": message + (" — tijdstip vroeger dan vorige inschrijving" if out_of_order
                             else "")})
    if status == "non_realised":
        _notify_lop(s, user, [entry_id], at, new=_NewRefusal(
            child_id, facts.school_id, facts.mandates_lop_notices, at))
    audit.append(s, user, "register.add", "register_entry", entry_id,
                 {"level_id": level_id, "seq": seq, "child_id": child_id, "status": status,
                  "rule": rule, "out_of_order": out_of_order})
    return EntryView(entry_id, level_id, seq, at, child_id, priority_group, contingent, status,
                     reason, out_of_order, overcapacity_category, 1, rule, message)


def _check_category(s: Session, level: CapacityLevel, code: str) -> None:
    """CAP-07: only a configured category of the level's regime and kind."""
    found = s.execute(
        select(OvercapacityCategory.id).where(
            OvercapacityCategory.regime == level.regime,
            OvercapacityCategory.level_kind.in_([level.kind, "*"]),
            OvercapacityCategory.code == code,
        )
    ).first()
    if found is None:
        raise RuleViolation(
            f"'{code}' is geen ingestelde categorie voor overcapaciteit bij dit niveau "
            f"(regime {REGIME.get(level.regime, level.regime)}, "
            f"{LEVEL_KIND.get(level.kind, level.kind)}).", rule="CAP-07")


# --- status changes (REG-02, REG-03, WL-01) -----------------------------------------------


def _load_entry(s: Session, entry_id: int, expected_version: int | None) -> RegisterEntry:
    entry = s.get(RegisterEntry, entry_id)
    if entry is None:
        raise NotFound(f"inschrijving {entry_id} bestaat niet.", field="entry_id")
    if expected_version is not None and entry.version != expected_version:
        raise Conflict(f"Inschrijving {entry.seq} van {entry.level_id}")
    return entry


def _set_status(s: Session, user: str, entry: RegisterEntry, to_status: str, *, reason: str,
                rule: str | None, at: datetime | None = None) -> None:
    allowed = TRANSITIONS.get(entry.status, frozenset())
    if to_status not in allowed:
        raise RuleViolation(
            f"de status van inschrijving {entry.seq} kan niet van '{STATUS[entry.status]}' "
            f"naar '{STATUS.get(to_status, to_status)}' gaan.", rule="REG-03")
    when = at or utcnow()
    old = entry.status
    entry.status = to_status
    entry.status_changed_at = when
    if to_status == "realised":
        entry.reason = None
    s.add(entry)
    try:
        s.flush()
    except StaleDataError:
        raise Conflict(f"Inschrijving {entry.seq} van {entry.level_id}") from None
    _event(s, user, entry, "status", at=when, from_status=old, to_status=to_status,
           reason=reason, rule=rule)
    if to_status == "non_realised":
        _notify_lop(s, user, [entry.id], when)
    audit.record(s, user, "register.status", "register_entry", entry.id,
                 {"from": old, "to": to_status, "reason": reason, "rule": rule})


def change_status(db: Database, entry_id: int, to_status: str, *, reason: str,
                  rule: str | None = None, expected_version: int | None = None,
                  at: datetime | None = None) -> EntryView:
    """A manual status change. Realising a waiting child follows WL-01 and needs a place."""
    if to_status not in STATUS:  # bad input (exit 2); a known but forbidden change is REG-03
        choices = ", ".join(f"{code} ({text})" for code, text in STATUS.items())
        raise InvalidInput(f"onbekende status '{to_status}': kies uit {choices}.",
                           field="to_status")
    if not reason.strip():
        raise InvalidInput("geef een reden op voor de statuswijziging.", field="reason")
    with db.write() as s:
        require(s, db.user, "register.write")
        entry = _load_entry(s, entry_id, expected_version)
        now = at or utcnow()
        if entry.status == "non_realised" and to_status == "realised":
            level = s.get(CapacityLevel, entry.level_id)
            assert level is not None
            state = level_state(s, level)
            free = state.free_places()
            if free is not None and free <= 0:
                raise RuleViolation(
                    "er is geen vrije plaats in dit niveau; een plaats komt vrij door een "
                    "intrekking of een goedgekeurde capaciteitsverhoging.", rule="CAP-04")
            _guard_waiting_order(s, level, entry, now)
            rule = rule or "WL-01"
        _set_status(s, db.user, entry, to_status, reason=reason, rule=rule, at=now)
        return _view(entry, rule)


def _guard_waiting_order(s: Session, level: CapacityLevel, entry: RegisterEntry,
                         at: datetime) -> None:
    """WL-01: before the deadline nobody passes a higher-placed child that has not declined."""
    binds, deadline = _binding(s, level, at)
    if not binds:
        return
    contingent = _freed_contingent(s, level) if _per_contingent(s, level) else None
    for candidate in _waiting(s, level.id, contingent):
        if candidate.id == entry.id:
            return
        raise RuleViolation(
            f"tot en met {fmt_date(deadline)} gaat een vrije plaats in volgorde van de "
            f"wachtlijst: eerst {_child_name(s, candidate.child_id)} (nr. {candidate.seq}), "
            "zolang die niet weigerde.", rule="WL-01")


def withdraw(db: Database, entry_id: int, *, reason: str, expected_version: int | None = None,
             at: datetime | None = None) -> EntryView:
    """REG-03: realised → withdrawn or non_realised → withdrawn. A freed place is not given
    away here: `fill`/`offer_next` offer it in waiting-list order (WL-01)."""
    if not reason.strip():
        raise InvalidInput("geef een reden op voor de intrekking.", field="reason")
    with db.write() as s:
        require(s, db.user, "register.write")
        entry = _load_entry(s, entry_id, expected_version)
        _set_status(s, db.user, entry, "withdrawn", reason=reason, rule="REG-03", at=at)
        # An open offer for a withdrawn child lapses.
        for offer in s.execute(select(Offer).where(Offer.entry_id == entry_id,
                                                   Offer.status == "open")).scalars():
            offer.status = "declined"
            offer.answered_at = at or utcnow()
            offer.answered_by = db.user
        return _view(entry, "REG-03")


# --- reading ------------------------------------------------------------------------


def list_entries(db: Database, level_id: str) -> list[EntryRow]:
    """All entries of a register in order (REG-01), as light tuples."""
    with db.read() as s:
        require(s, db.user, "read")
        get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        rows = s.execute(
            select(RegisterEntry.id, RegisterEntry.seq, RegisterEntry.requested_at,
                   RegisterEntry.child_id,
                   (Child.first_name + " " + Child.last_name),
                   RegisterEntry.priority_group, RegisterEntry.contingent, RegisterEntry.status,
                   RegisterEntry.reason, RegisterEntry.out_of_order,
                   RegisterEntry.overcapacity_category, RegisterEntry.waitlist_position,
                   RegisterEntry.version)
            .join(Child, Child.id == RegisterEntry.child_id)
            .where(RegisterEntry.level_id == level_id)
            .order_by(RegisterEntry.seq)
        ).all()
    return [EntryRow(*r) for r in rows]


def get_entry(db: Database, entry_id: int) -> EntryView:
    with db.read() as s:
        require(s, db.user, "read")
        return _view(_load_entry(s, entry_id, None))


def find_entry(db: Database, level_id: str, seq: int) -> EntryView:
    with db.read() as s:
        require(s, db.user, "read")
        entry = s.execute(select(RegisterEntry).where(RegisterEntry.level_id == level_id,
                                                      RegisterEntry.seq == seq)).scalar()
        if entry is None:
            raise NotFound(f"register {level_id} heeft geen nummer {seq}.", field="seq")
        return _view(entry)


def entry_history(db: Database, entry_id: int) -> list[EventRow]:
    """REG-02: every event of an entry, oldest first."""
    with db.read() as s:
        require(s, db.user, "read")
        _load_entry(s, entry_id, None)
        rows = s.execute(
            select(RegisterEvent.id, RegisterEvent.at, RegisterEvent.user, RegisterEvent.kind,
                   RegisterEvent.from_status, RegisterEvent.to_status, RegisterEvent.reason,
                   RegisterEvent.rule_id)
            .where(RegisterEvent.entry_id == entry_id).order_by(RegisterEvent.id)
        ).all()
    return [EventRow(*r) for r in rows]


def status_at(db: Database, entry_id: int, moment: datetime) -> str | None:
    """REG-02: replay the events to the status an entry had at `moment` (None: not yet)."""
    status = None
    for ev in entry_history(db, entry_id):
        if ev.at > moment:
            break
        status = ev.to_status or status
    return status


@dataclass
class WaitingView:
    level_id: str
    deadline: date
    binds: bool
    per_contingent: bool
    entries: list[EntryRow]


def waiting_list(db: Database, level_id: str, at: datetime | None = None) -> WaitingView:
    """The waiting list of a level in order, and until when that order binds (WL-01)."""
    now = at or utcnow()
    with db.read() as s:
        require(s, db.user, "read")
        level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        binds, deadline = _binding(s, level, now)
        ids = [e.id for e in _waiting(s, level_id)]
        per_c = _per_contingent(s, level)
    by_id = {r.id: r for r in list_entries(db, level_id)}
    return WaitingView(level_id, deadline, binds, per_c, [by_id[i] for i in ids])


# --- closing a priority period (REG-05) ----------------------------------------------------


@dataclass
class PlannedChange:
    entry_id: int
    seq: int
    child_id: str
    contingent: str
    priority_group: str
    from_status: str
    to_status: str
    rule: str
    why: str


@dataclass
class ClosePlan:
    period_id: int
    level_id: str
    seats: dict[str, int] | None
    free_before: dict[str, int] | None
    changes: list[PlannedChange] = field(default_factory=list)
    applied: bool = False


def plan_close(state: LevelState, deferred: list[RegisterEntry]) -> list[PlannedChange]:
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
            changes.append(_change(e, to, "REG-05", "vrije plaats" if to == "realised"
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
                changes.append(_change(e, "realised", "REG-05", "plaats in eigen contingent"))
                remaining.remove(e)
    # Top-up: a contingent that is not full takes the other contingent's deferred.
    for c, other in (("indicator", "non_indicator"), ("non_indicator", "indicator")):
        for e in [e for e in remaining if e.contingent == other]:
            if free[c] > 0:
                free[c] -= 1
                changes.append(_change(
                    e, "realised", "REG-05",
                    f"aanvulling: {'indicator' if c == 'indicator' else 'niet-indicator'}"
                    "contingent niet volzet"))
                remaining.remove(e)
    if free["indicator"] == 0 and free["non_indicator"] == 0:
        for e in sorted(remaining, key=lambda e: e.seq):
            changes.append(_change(e, "non_realised", "REG-05",
                                   "beide contingenten volzet"))
    return changes


def _change(e: RegisterEntry, to: str, rule: str, why: str) -> PlannedChange:
    assert e.id is not None
    return PlannedChange(e.id, e.seq, e.child_id, e.contingent, e.priority_group, e.status, to,
                         rule, why)


def close_period(db: Database, period_id: int, *, preview: bool = False,
                 at: datetime | None = None) -> ClosePlan:
    """Close a priority period of the old regime; with preview nothing is written."""
    with db.write() as s:
        require(s, db.user, "register.write")
        period = s.get(Period, period_id)
        if period is None:
            raise NotFound(f"periode {period_id} bestaat niet.", field="period_id")
        if period.closed_at is not None:
            raise RuleViolation(f"periode {period_id} werd al afgesloten op "
                                f"{fmt_date(period.closed_at)}.", rule="REG-05")
        level = s.get(CapacityLevel, period.level_id)
        assert level is not None
        if level.regime != "old" or period.kind != "priority":
            raise RuleViolation("enkel een voorrangsperiode van het oude regime wordt zo "
                                "afgesloten.", rule="REG-05")
        _next_seq_lock(s, level.id)
        state = level_state(s, level)
        deferred = list(s.execute(
            select(RegisterEntry).where(RegisterEntry.level_id == level.id,
                                        RegisterEntry.status == "deferred")
        ).scalars())
        plan = ClosePlan(period_id, level.id, contingent_seats(level), state.contingent_free(),
                         plan_close(state, deferred))
        if preview:
            s.rollback()
            return plan
        now = at or utcnow()
        by_id = {e.id: e for e in deferred}
        for ch in plan.changes:
            entry = by_id[ch.entry_id]
            if ch.to_status == "non_realised":
                entry.reason = "capacity"
            _set_status(s, db.user, entry, ch.to_status, reason=ch.why, rule=ch.rule, at=now)
        period.closed_at = now
        period.closed_by = db.user
        s.add(period)
        audit.record(s, db.user, "period.close", "period", period_id,
                     {"level_id": level.id, "changes": len(plan.changes)})
        plan.applied = True
        return plan


def _next_seq_lock(s: Session, level_id: str) -> None:
    """Take the register's lock without consuming a number (PostgreSQL row lock)."""
    s.execute(update(RegisterCounter).where(RegisterCounter.level_id == level_id)
              .values(last_seq=RegisterCounter.last_seq))


# --- freed places: offers, cascade (WL-01..03) ------------------------------------------


def _per_contingent(s: Session, level: CapacityLevel) -> bool:
    """WL-02 applies to old-regime levels of areas that keep per-contingent lists."""
    if level.regime != "old" or contingent_seats(level) is None:
        return False
    school = s.get(School, level.school_id)
    area = s.get(Area, school.area_id) if school else None
    return bool(area and area.per_contingent_lists)


def _freed_contingent(s: Session, level: CapacityLevel) -> str | None:
    free = level_state(s, level).contingent_free()
    if not free:
        return None
    if free["indicator"] > 0 and free["non_indicator"] == 0:
        return "indicator"
    if free["non_indicator"] > 0 and free["indicator"] == 0:
        return "non_indicator"
    return None


@dataclass
class FillStep:
    level_id: str
    entry_id: int
    seq: int
    child_id: str
    child_name: str
    action: str  # offered | realised | released | declined
    rule: str
    why: str


@dataclass
class FillReport:
    steps: list[FillStep] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # levels whose order no longer binds


def _next_candidate(s: Session, level: CapacityLevel) -> tuple[RegisterEntry | None, str]:
    busy = _open_offer_entries(s, level.id)
    rule = "WL-01"
    contingent = None
    if _per_contingent(s, level):
        contingent = _freed_contingent(s, level)
        rule = "WL-02"
    for cand in _waiting(s, level.id, contingent):
        if cand.id not in busy:
            return cand, rule
    if contingent is not None:  # nobody of that contingent waits: the other list (WL-02)
        for cand in _waiting(s, level.id):
            if cand.id not in busy:
                return cand, rule
    return None, rule


def _places_to_offer(s: Session, level: CapacityLevel) -> int:
    free = level_state(s, level).free_places()
    if free is None:
        return 0
    return max(0, free - len(_open_offer_entries(s, level.id)))


def fill_in(s: Session, user: str, level_ids: list[str] | None, *, accept: bool,
            at: datetime, report: FillReport | None = None) -> FillReport:
    """Offer (or, with accept, give) freed places in waiting-list order, with the cascade."""
    report = report or FillReport()
    queue = list(level_ids) if level_ids is not None else _levels_with_free_and_waiting(s)
    seen_guard = 0
    while queue:
        seen_guard += 1
        if seen_guard > 100_000:  # a cascade always ends; this only guards against a bug
            raise RuntimeError("cascade did not end")
        level_id = queue.pop(0)
        level = s.get(CapacityLevel, level_id)
        if level is None:
            raise NotFound(f"capaciteitsniveau '{level_id}' bestaat niet.", field="level_id")
        binds, deadline = _binding(s, level, at)
        if not binds:
            report.skipped.append(level_id)
            continue
        while _places_to_offer(s, level) > 0:
            cand, rule = _next_candidate(s, level)
            if cand is None:
                break
            name = _child_name(s, cand.child_id)
            assert cand.id is not None
            if not accept:
                offer = Offer(level_id=level_id, entry_id=cand.id, offered_at=at,
                              offered_by=user, rule_id=rule,
                              contingent=cand.contingent if rule == "WL-02" else None)
                s.add(offer)
                s.flush()
                audit.record(s, user, "offer.create", "offer", offer.id,
                             {"level_id": level_id, "entry_id": cand.id, "rule": rule})
                report.steps.append(FillStep(level_id, cand.id, cand.seq, cand.child_id, name,
                                             "offered", rule, f"volgende op de wachtlijst "
                                             f"(bindend t.e.m. {fmt_date(deadline)})"))
                continue
            released = _realise_from_waiting(s, user, level, cand, rule, at, report)
            queue.extend(r for r in released if r not in queue)
    return report


def _realise_from_waiting(s: Session, user: str, level: CapacityLevel, cand: RegisterEntry,
                          rule: str, at: datetime, report: FillReport) -> list[str]:
    """The child takes the freed place; its lower tickets are released (WL-03)."""
    assert cand.id is not None
    name = _child_name(s, cand.child_id)
    _set_status(s, user, cand, "realised", reason="vrijgekomen plaats in volgorde van de "
                "wachtlijst", rule=rule, at=at)
    report.steps.append(FillStep(level.id, cand.id, cand.seq, cand.child_id, name, "realised",
                                 rule, "vrijgekomen plaats"))
    released: list[str] = []
    others = s.execute(
        select(RegisterEntry).join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
        .where(RegisterEntry.child_id == cand.child_id, RegisterEntry.id != cand.id,
               RegisterEntry.status == "realised",
               CapacityLevel.school_year == level.school_year,
               CapacityLevel.kind == level.kind, CapacityLevel.label == level.label)
    ).scalars().all()
    for other in others:
        _set_status(s, user, other, "withdrawn", reason=f"plaats vrijgegeven: kind nam een "
                    f"plaats in {level.id} (hogere keuze)", rule="WL-03", at=at)
        assert other.id is not None
        report.steps.append(FillStep(other.level_id, other.id, other.seq, other.child_id, name,
                                     "released", "WL-03", f"vrijgegeven voor {level.id}"))
        released.append(other.level_id)
    # Waiting positions of this child elsewhere at lower levels stay: the parents decide.
    return released


def _levels_with_free_and_waiting(s: Session) -> list[str]:
    ids = s.execute(
        select(RegisterEntry.level_id).where(RegisterEntry.status == "non_realised").distinct()
    ).scalars().all()
    return sorted(ids)


def fill(db: Database, level_id: str | None = None, *, accept: bool = False,
         at: datetime | None = None) -> FillReport:
    with db.write() as s:
        require(s, db.user, "register.write")
        return fill_in(s, db.user, [level_id] if level_id else None, accept=accept,
                       at=at or utcnow())


def offer_next(db: Database, level_id: str, at: datetime | None = None) -> FillReport:
    """Offer one freed place of a level to the next child on its waiting list (WL-01)."""
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "register.write")
        level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        binds, deadline = _binding(s, level, now)
        if not binds:
            raise RuleViolation(
                f"na {fmt_date(deadline)} volgt een vrije plaats de wachtlijst niet meer: "
                "ze is gewoon vrij (vrije inschrijving).", rule="WL-01")
        if _places_to_offer(s, level) <= 0:
            raise RuleViolation("er is geen vrije plaats om aan te bieden.", rule="CAP-04")
        cand, _ = _next_candidate(s, level)
        if cand is None:
            raise RuleViolation("niemand staat nog op de wachtlijst van dit niveau.",
                                rule="WL-01")
        report = FillReport()
        # one offer only: temporarily treat the level as having one place to offer
        rule = "WL-02" if _per_contingent(s, level) else "WL-01"
        assert cand.id is not None
        offer = Offer(level_id=level_id, entry_id=cand.id, offered_at=now, offered_by=db.user,
                      rule_id=rule, contingent=cand.contingent if rule == "WL-02" else None)
        s.add(offer)
        s.flush()
        audit.record(s, db.user, "offer.create", "offer", offer.id,
                     {"level_id": level_id, "entry_id": cand.id, "rule": rule})
        report.steps.append(FillStep(level_id, cand.id, cand.seq, cand.child_id,
                                     _child_name(s, cand.child_id), "offered", rule,
                                     f"bindend t.e.m. {fmt_date(deadline)}"))
        return report


@dataclass
class OfferRow:
    id: int
    level_id: str
    entry_id: int
    seq: int
    child_id: str
    child_name: str
    status: str
    rule_id: str
    offered_at: datetime


def list_offers(db: Database, level_id: str | None = None,
                status: str | None = None) -> list[OfferRow]:
    with db.read() as s:
        require(s, db.user, "read")
        q = (select(Offer.id, Offer.level_id, Offer.entry_id, RegisterEntry.seq,
                    RegisterEntry.child_id, (Child.first_name + " " + Child.last_name),
                    Offer.status, Offer.rule_id, Offer.offered_at)
             .join(RegisterEntry, RegisterEntry.id == Offer.entry_id)
             .join(Child, Child.id == RegisterEntry.child_id).order_by(Offer.id))
        if level_id:
            q = q.where(Offer.level_id == level_id)
        if status:
            q = q.where(Offer.status == status)
        return [OfferRow(*r) for r in s.execute(q).all()]


def answer_offer(db: Database, offer_id: int, *, accept: bool,
                 at: datetime | None = None) -> FillReport:
    """Accept: the child is enrolled and its lower ticket released and offered on (WL-03).
    Decline: the child leaves the waiting list and the place goes to the next child."""
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "register.write")
        offer = s.get(Offer, offer_id)
        if offer is None:
            raise NotFound(f"aanbod {offer_id} bestaat niet.", field="offer_id")
        if offer.status != "open":
            raise RuleViolation(f"aanbod {offer_id} werd al beantwoord.", rule="WL-01")
        entry = s.get(RegisterEntry, offer.entry_id)
        level = s.get(CapacityLevel, offer.level_id)
        assert entry is not None and level is not None
        offer.status = "accepted" if accept else "declined"
        offer.answered_at = now
        offer.answered_by = db.user
        s.add(offer)
        s.flush()
        audit.record(s, db.user, "offer.answer", "offer", offer_id, {"accept": accept})
        report = FillReport()
        if accept:
            released = _realise_from_waiting(s, db.user, level, entry, offer.rule_id, now,
                                             report)
            fill_in(s, db.user, released, accept=False, at=now, report=report)
        else:
            _set_status(s, db.user, entry, "withdrawn", reason="vrijgekomen plaats geweigerd",
                        rule="WL-01", at=now)
            report.steps.append(FillStep(level.id, entry.id or 0, entry.seq, entry.child_id,
                                         _child_name(s, entry.child_id), "declined", "WL-01",
                                         "plaats geweigerd"))
            fill_in(s, db.user, [level.id], accept=False, at=now, report=report)
        return report


# --- bulk appends (imports, allocation results) ----------------------------------------


def _chunks(items: list[str], size: int = 900) -> list[list[str]]:
    """IN-lists below SQLite's parameter limit."""
    return [items[i:i + size] for i in range(0, len(items), size)]


def bulk_append(s: Session, user: str, rows: list[dict], *, rule: str | None,
                message: str, source: str) -> list[int]:
    """Append many entries in the caller's transaction, as add_request would number them.

    rows: level_id, child_id, requested_at, priority_group, contingent, status and optional
    reason, waitlist_position, allocation_run_id. Numbers continue per register (REG-01),
    an earlier timestamp is flagged (REG-01), every entry gets its 'created' event (REG-02).
    Returns the new entry ids in the order of `rows`.
    """

    by_level: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_level.setdefault(row["level_id"], []).append(i)
    seqs: list[int] = [0] * len(rows)
    flags: list[bool] = [False] * len(rows)
    levels = sorted(by_level)
    # A few set-based statements instead of three per register (imports of 20,000 rows).
    counters: dict[str, int] = {}
    last_at: dict[str, datetime] = {}
    for part in _chunks(levels):
        counters.update(s.execute(
            select(RegisterCounter.level_id, RegisterCounter.last_seq)
            .where(RegisterCounter.level_id.in_(part)).with_for_update()).all())
        newest = (select(RegisterEntry.level_id, func.max(RegisterEntry.seq).label("seq"))
                  .where(RegisterEntry.level_id.in_(part))
                  .group_by(RegisterEntry.level_id).subquery())
        last_at.update(s.execute(
            select(RegisterEntry.level_id, RegisterEntry.requested_at)
            .join(newest, (newest.c.level_id == RegisterEntry.level_id)
                  & (newest.c.seq == RegisterEntry.seq))).all())
    missing = [lv for lv in levels if lv not in counters]
    for level_id in missing:
        current = s.execute(select(func.coalesce(func.max(RegisterEntry.seq), 0))
                            .where(RegisterEntry.level_id == level_id)).scalar_one()
        s.add(RegisterCounter(level_id=level_id, last_seq=current))
        counters[level_id] = int(current)
    if missing:
        s.flush()
    s.execute(update(RegisterCounter),  # ORM bulk UPDATE by primary key
              [{"level_id": lv, "last_seq": counters[lv] + len(by_level[lv])} for lv in levels])
    for level_id, idxs in by_level.items():
        first = counters[level_id]
        prev = last_at.get(level_id)
        if prev is not None and prev.tzinfo is None:
            prev = prev.replace(tzinfo=UTC)
        for k, i in enumerate(idxs):
            seqs[i] = first + k + 1
            at = rows[i]["requested_at"]
            flags[i] = prev is not None and at < prev
            prev = at if prev is None or at > prev else prev
    values = [{
        "level_id": r["level_id"], "seq": seqs[i], "requested_at": r["requested_at"],
        "child_id": r["child_id"], "priority_group": r.get("priority_group", "none"),
        "contingent": r["contingent"], "status": r["status"], "reason": r.get("reason"),
        "out_of_order": flags[i], "overcapacity_category": None, "source": source,
        "waitlist_position": r.get("waitlist_position"),
        "allocation_run_id": r.get("allocation_run_id"),
        "status_changed_at": r["history"][-1][0] if r.get("history") else r["requested_at"],
        "version": 1,
    } for i, r in enumerate(rows)]
    chunk = 5000
    table = RegisterEntry.__table__  # type: ignore[attr-defined]
    # executemany without RETURNING (SQLite would insert row by row to keep the order);
    # (level_id, seq) is unique, so the new ids are read back per register.
    insert_rows(s, table, values, chunk)
    id_of: dict[tuple[str, int], int] = {}
    for part in _chunks(levels):
        low = min(counters[lv] for lv in part)
        for eid, level_id, seq in s.execute(
                select(RegisterEntry.id, RegisterEntry.level_id, RegisterEntry.seq).where(
                    RegisterEntry.level_id.in_(part), RegisterEntry.seq > low)).all():
            id_of[(level_id, seq)] = eid
    ids = [id_of[(r["level_id"], seqs[i])] for i, r in enumerate(rows)]
    events = []
    for i, r in enumerate(rows):
        # `history` (optional): the status the entry was created with and its later changes,
        # e.g. a demo or an import of a register that went through priority periods.
        history = r.get("history")
        if not history:
            events.append({"entry_id": ids[i], "at": r["requested_at"], "user": user,
                           "kind": "created", "from_status": None, "to_status": r["status"],
                           "reason": r.get("event_reason", message),
                           "rule_id": r.get("rule", rule)})
            continue
        for k, (at, from_status, to_status, reason, ev_rule) in enumerate(history):
            events.append({"entry_id": ids[i], "at": at, "user": user,
                           "kind": "created" if k == 0 else "status",
                           "from_status": from_status, "to_status": to_status,
                           "reason": reason, "rule_id": ev_rule})
    ev_table = RegisterEvent.__table__  # type: ignore[attr-defined]
    insert_rows(s, ev_table, events, chunk)
    refused = [ids[i] for i, r in enumerate(rows) if r["status"] == "non_realised"]
    if refused:
        _notify_lop(s, user, refused, None)
    return ids


class _NewRefusal(NamedTuple):
    """What add_request already knows of an entry it just refused (NGI-03 fast path)."""

    child_id: str
    school_id: str | None
    mandate: bool | None
    refused_at: datetime  # the entry's 'created' event, its first refusal


def _notify_lop(s: Session, user: str, entry_ids: list, at: datetime | None,
                new: _NewRefusal | None = None) -> None:
    """NGI-03: every refusal gets its LOP notification record in the same transaction."""
    if new is not None and len(entry_ids) == 1 and new.school_id is not None:
        # A request refused right now has no notification yet and its refusal moment is
        # its creation: the record mediation.notify_refusal_in writes, in two statements.
        values = {"entry_id": entry_ids[0], "child_id": new.child_id,
                  "school_id": new.school_id, "refused_at": new.refused_at,
                  "sent_under_mandate": bool(new.mandate), "notice_id": None,
                  "created_at": at or utcnow(), "created_by": user}
        conn = s.connection()
        notification_id = conn.execute(_INSERT_NOTIFICATION, values).scalar_one()
        audit.append(s, user, "lop_notification.create", "lop_notification", notification_id,
                     {"entry_id": entry_ids[0], "school_id": new.school_id, "rule": "NGI-03"})
        return
    from lopdesk.domain import refusals as mediation  # NGI-03 records, never the cell itself

    if len(entry_ids) == 1:
        mediation.notify_refusal_in(s, user, entry_ids[0], at)
    else:
        mediation.notify_refusals_in(s, user, entry_ids=entry_ids, at=at)
